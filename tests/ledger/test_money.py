from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ledger.money import from_minor, to_minor


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("199.00", "CNY", 19900), (Decimal("0.01"), "EUR", 1), ("1500", "JPY", 1500), ("1.234", "KWD", 1234)],
)
def test_to_minor_is_exact(amount, currency, minor):
    assert to_minor(amount, currency) == minor
    assert from_minor(minor, currency) == Decimal(str(amount))


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("1.001", "CNY", "at most 2 decimal places"),
        ("1.5", "JPY", "at most 0 decimal places"),
        ("abc", "CNY", "Give a decimal number"),
        ("1", "ZZZ", "Unknown currency"),
        (1.5, "CNY", "not a number"),
        ("1e2", "CNY", "Give a decimal number"),
        ("1_000", "CNY", "Give a decimal number"),
        ("١٢٣", "CNY", "Give a decimal number"),
        ("100000000.01", "CNY", "At most 100000000.00 CNY per event"),
        ("99999999999999999.99", "CNY", "At most 100000000.00 CNY per event"),
        ("1" + "0" * 400, "CNY", "At most 100000000.00 CNY per event"),
    ],
)
def test_to_minor_refuses_instead_of_rounding(amount, currency, message):
    with pytest.raises(ValidationError) as exc:
        to_minor(amount, currency)
    assert message in str(exc.value)


def test_the_per_event_maximum_is_a_setting_per_currency(settings):
    settings.LEDGER_EVENT_MAX = "500"
    settings.LEDGER_EVENT_MAX_BY_CURRENCY = {"JPY": "100000"}
    assert to_minor("500.00", "CNY") == 50000
    assert to_minor("100000", "JPY") == 100000
    with pytest.raises(ValidationError, match=r"At most 500\.00 CNY"):
        to_minor("500.01", "CNY")
    with pytest.raises(ValidationError, match="At most 100000 JPY"):
        to_minor("100001", "JPY")
