"""The one parsing rule per kind of value (config.values): what each accepts and refuses."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from config import values


def refused(parse, value, **kwargs) -> str:
    with pytest.raises(ValidationError) as exc:
        parse(value, field="f", **kwargs)
    return exc.value.message_dict["f"][0]


@pytest.mark.parametrize(("text", "number"), [("0", 0), ("42", 42), (" -7 ", -7), (12, 12), ("+3", 3)])
def test_integers_accepted(text, number):
    assert values.integer_parse(text, field="f") == number


@pytest.mark.parametrize(
    "value",
    ["1e2", "1_000", "1.0", "١٢", "12 3", "", "0x10", 1.0, True, None, [1], 10**20, "99999999999999999999"],
)
def test_integers_refused(value):
    assert refused(values.integer_parse, value)


def test_integers_keep_their_bounds():
    assert "5 or less" in refused(values.integer_parse, 6, min_value=1, max_value=5)
    assert "1 or more" in refused(values.integer_parse, "0", min_value=1, max_value=5)
    assert "or less" in refused(values.integer_parse, 2**63)
    assert values.integer_parse(2**63 - 1, field="f") == 2**63 - 1


@pytest.mark.parametrize("value", [0, -1, "abc", 2**63, "1.5"])
def test_ids_are_positive_64_bit_integers(value):
    assert refused(values.object_id_parse, value)


@pytest.mark.parametrize(
    ("text", "expected"), [("199.00", Decimal("199.00")), ("5", Decimal(5)), (" 0.5 ", Decimal("0.5"))]
)
def test_decimal_text_accepted(text, expected):
    assert values.decimal_text_parse(text, field="f") == expected


@pytest.mark.parametrize(
    "value",
    [
        "1e2",
        "1_000",
        "1,000.00",
        "١٢٣",
        "\u0661\u0662.\u0665",
        ".5",
        "5.",
        "NaN",
        "Infinity",
        "",
        1.5,
        100,
        True,
        None,
    ],
)
def test_decimal_text_refused(value):
    assert refused(values.decimal_text_parse, value)


def test_timestamps_need_their_zone():
    moment = values.timestamp_parse("2025-03-01T14:30:00+08:00", field="f")
    assert moment.utcoffset() == dt.timedelta(hours=8)
    assert values.timestamp_parse("2025-03-01T06:30:00Z", field="f") == moment
    assert "time zone" in refused(values.timestamp_parse, "2025-03-01T14:30:00")
    assert "time zone" in refused(values.timestamp_parse, dt.datetime(2025, 3, 1, 14, 30))
    for bad in (
        "2025-02-30T10:00:00Z",
        "yesterday",
        "0001-01-01T00:00:00Z",
        "9999-12-31T00:00:00Z",
        1700000000,
    ):
        assert refused(values.timestamp_parse, bad)


def test_dates_are_iso_within_range():
    assert values.date_parse("2025-03-01", field="f") == dt.date(2025, 3, 1)
    for bad in ("0001-01-01", "9999-12-31", "2025-13-01", "01/03/2025", "2025-03-01T00:00:00Z", 20250301):
        assert refused(values.date_parse, bad)


def test_texts_are_refused_not_cut():
    assert values.text_clean("  a note ", field="f", max_length=10) == "a note"
    assert "at most 10 characters" in refused(values.text_clean, "x" * 11, max_length=10)
    assert "NUL" in refused(values.text_clean, "a\x00b", max_length=10)
    assert "control" in refused(values.text_clean, "a\x07b", max_length=10)
    assert "control" in refused(values.text_clean, "two\nlines", max_length=20)
    assert values.text_clean("two\nlines", field="f", max_length=20, multiline=True) == "two\nlines"
    assert refused(values.text_clean, 5, max_length=10)


@pytest.mark.parametrize(
    ("value", "expected"), [(True, True), ("yes", True), ("FALSE", False), ("0", False), ("", False)]
)
def test_booleans(value, expected):
    assert values.boolean_parse(value, field="f") is expected


@pytest.mark.parametrize("value", ["maybe", "y2", 1, 0, None])
def test_booleans_refused(value):
    assert refused(values.boolean_parse, value)


@pytest.mark.parametrize("text", ["0", "0.00", "999.9999", "1.50000", "100", "-12.5"])
def test_decimal_digits_inside_the_field(text):
    number = Decimal(text)
    assert values.decimal_digits_check(number, field="f", max_digits=7, decimal_places=4) == number


@pytest.mark.parametrize("text", ["1000", "0.00001", "1E+400", "9" * 29, "1E-400"])
def test_decimal_digits_past_the_field_refused(text):
    assert refused(values.decimal_digits_check, Decimal(text), max_digits=7, decimal_places=4)
