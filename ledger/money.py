"""Money as integer minor units plus an ISO 4217 code; never float, never converted.

`to_minor(Decimal("199.00"), "CNY") == 19900`; a value with more decimals than the currency
allows is refused (ValidationError), never rounded silently. What a currency is, is the one
rule of `orgs.currencies`.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from moneyed import get_currency

from orgs.currencies import currency_check


def minor_exponent(currency: str) -> int:
    """Decimal places of the currency: 2 for CNY/EUR, 0 for JPY, 3 for KWD."""
    sub_unit = get_currency(currency).sub_unit or 1
    exponent = 0
    while sub_unit > 1:
        sub_unit //= 10
        exponent += 1
    return exponent


def to_minor(amount, currency: str, *, field: str = "amount") -> int:
    """Convert a Decimal (or decimal string) in major units to integer minor units, exactly."""
    currency_check(currency)
    if isinstance(amount, float):
        raise ValidationError({field: _("Give amounts as decimal strings, not floats.")})
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {field: _("“%(value)s” is not a decimal amount.") % {"value": amount}}
        ) from None
    if not value.is_finite():
        raise ValidationError({field: _("“%(value)s” is not a decimal amount.") % {"value": amount}})
    scaled = value.scaleb(minor_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValidationError(
            {
                field: _("%(currency)s amounts have at most %(places)d decimal places.")
                % {"currency": currency, "places": minor_exponent(currency)}
            }
        )
    return int(scaled)


def from_minor(amount_minor: int, currency: str) -> Decimal:
    """Integer minor units back to a Decimal with the currency's number of places."""
    exponent = minor_exponent(currency)
    return (Decimal(amount_minor).scaleb(-exponent)).quantize(Decimal(1).scaleb(-exponent))


def format_minor(amount_minor: int, currency: str) -> str:
    """A plain string such as '199.00' (for APIs and CSV: no grouping, no symbol)."""
    return str(from_minor(amount_minor, currency))
