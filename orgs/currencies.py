"""The one currency rule: a currency is the ISO 4217 code of real money, written in capitals
(CNY, EUR, JPY). Placeholder codes py-moneyed knows (XXX, XTS) are not money.

It sits in orgs, the lowest app, so both apps ask the same question: the organization (a
partner's baseline currency) and the ledger (every amount, through `ledger.money`).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from moneyed import CURRENCIES

# moneyed knows a few placeholder codes that are not real money
NOT_MONEY = frozenset({"XXX", "XTS", "DEFAULT"})


def currency_is_known(code: str) -> bool:
    return isinstance(code, str) and code in CURRENCIES and code not in NOT_MONEY


def currency_error(code) -> str | None:
    """Why `code` is not a currency, or None when it is one."""
    if currency_is_known(code):
        return None
    return _("Unknown currency “%(code)s” (use an ISO 4217 code such as CNY).") % {"code": code}


def currency_check(code: str, *, field: str = "currency") -> str:
    """Return the code if it is a currency, else raise a field error on `field`."""
    message = currency_error(code)
    if message:
        raise ValidationError({field: message})
    return code
