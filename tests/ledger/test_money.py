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
        ("abc", "CNY", "not a decimal"),
        ("1", "ZZZ", "Unknown currency"),
        (1.5, "CNY", "not floats"),
    ],
)
def test_to_minor_refuses_instead_of_rounding(amount, currency, message):
    with pytest.raises(ValidationError) as exc:
        to_minor(amount, currency)
    assert message in str(exc.value)
