"""Template filters of the ledger pages: money from minor units, percentages."""

from decimal import Decimal, InvalidOperation

from django import template

from ledger.money import from_minor
from ledger.ui_selectors import money_text

register = template.Library()


@register.filter
def money(amount_minor, currency):
    """`{{ leg.amount_minor|money:leg.currency }}` -> 'CN¥199.00' in the active language."""
    return money_text(amount_minor, currency)


@register.filter
def major(amount_minor, currency):
    """Minor units as a plain decimal string in major units: 19900, CNY -> '199.00'."""
    if amount_minor is None:
        return ""
    return str(from_minor(amount_minor, currency))


@register.filter
def pct(value):
    """A Decimal percentage without trailing zeros: Decimal('7.5000') -> '7.5%'."""
    if value is None:
        return "—"
    try:
        return f"{Decimal(str(value)).normalize():f}%"
    except (InvalidOperation, ValueError):
        return f"{value}%"


@register.filter
def negate(value):
    return -value if value is not None else None
