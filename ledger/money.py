"""Money as integer minor units plus an ISO 4217 code; never float, never converted.

`to_minor("199.00", "CNY") == 19900`. The text is read by the one decimal rule
(`config.values.decimal_text_parse`: ASCII digits and a point, no sign, exponent or separators),
the currency by the one currency rule (`orgs.currencies`); a value with more decimals than the
currency allows is refused, never rounded; an amount above the per-event maximum of its currency
(`event_max_minor`: settings LEDGER_EVENT_MAX and LEDGER_EVENT_MAX_BY_CURRENCY) is refused.

Why that bound keeps every sum inside the database's 64-bit integers: an event's legs never
exceed its amount, and a daily rollup row (account, day, slot) adds at most the day's legs of
that account's slot; at the default maximum (10^8 major units, 10^10 minor units for CNY)
a rollup row overflows only after 9.2 x 10^8 maximum-size events in one account slot on one
day. Balances over years are sums of rollup rows computed by the database as NUMERIC
(PostgreSQL's SUM of bigint), never stored in a 64-bit column.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from moneyed import get_currency

from config.values import decimal_text_parse
from orgs.currencies import currency_check


def minor_exponent(currency: str) -> int:
    """Decimal places of the currency: 2 for CNY/EUR, 0 for JPY, 3 for KWD."""
    sub_unit = get_currency(currency).sub_unit or 1
    exponent = 0
    while sub_unit > 1:
        sub_unit //= 10
        exponent += 1
    return exponent


def event_max_minor(currency: str) -> int:
    """The largest amount one event (payment or refund) may carry, in minor units."""
    major = settings.LEDGER_EVENT_MAX_BY_CURRENCY.get(currency, settings.LEDGER_EVENT_MAX)
    return int(Decimal(major).scaleb(minor_exponent(currency)))


def large_amount_minor(currency: str) -> int:
    """From this amount on (minor units) the web form asks the person to confirm it."""
    major = settings.LEDGER_LARGE_AMOUNT_BY_CURRENCY.get(currency, settings.LEDGER_LARGE_AMOUNT)
    return int(Decimal(major).scaleb(minor_exponent(currency)))


def event_max_error(amount_minor: int, currency: str) -> str | None:
    """Why an amount in minor units is over the per-event maximum, or None."""
    limit = event_max_minor(currency)
    if amount_minor <= limit:
        return None
    return _(
        "At most %(max)s %(currency)s per event; split a larger payment or ask an admin to raise "
        "the limit (LEDGER_EVENT_MAX)."
    ) % {"max": format_minor(limit, currency), "currency": currency}


def to_minor(amount, currency: str, *, field: str = "amount", max_error=event_max_error) -> int:
    """Convert decimal text (or a Decimal) in major units to integer minor units, exactly.
    `max_error(amount_minor, currency)` says why an amount is too large (None when it is not)."""
    currency_check(currency)
    value = decimal_text_parse(amount, field=field)
    exponent = minor_exponent(currency)
    if value.adjusted() > 30:  # far past any maximum: refuse before scaling a huge number
        raise ValidationError({field: max_error(10**40, currency)})
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValidationError(
            {
                field: _("%(currency)s amounts have at most %(places)d decimal places.")
                % {"currency": currency, "places": exponent}
            }
        )
    minor = int(scaled)
    message = max_error(minor, currency)
    if message:
        raise ValidationError({field: message})
    return minor


def from_minor(amount_minor: int, currency: str) -> Decimal:
    """Integer minor units back to a Decimal with the currency's number of places."""
    exponent = minor_exponent(currency)
    return (Decimal(amount_minor).scaleb(-exponent)).quantize(Decimal(1).scaleb(-exponent))


def format_minor(amount_minor: int, currency: str) -> str:
    """A plain string such as '199.00' (for APIs and CSV: no grouping, no symbol)."""
    return str(from_minor(amount_minor, currency))
