"""A leg as plain data (no ORM instance per leg) and the Python twin of the balance trigger."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

LEG_COLUMNS = [
    "transaction_id",
    "account_id",
    "currency",
    "amount_minor",
    "effective_on",
    "rule",
    "contract_id",
    "basis",
]


@dataclass(slots=True)
class LegRow:
    """A leg to insert (plain data: no ORM instance per leg)."""

    transaction_id: int
    account_id: int
    currency: str
    amount_minor: int
    effective_on: dt.date
    rule: str
    contract_id: int | None
    basis: dict


def check_balanced(legs_by_txn: dict) -> None:
    """The Python twin of the database trigger: >= 2 nonzero legs summing to zero per currency."""
    for key, legs in legs_by_txn.items():
        sums = defaultdict(int)
        for leg in legs:
            if leg.amount_minor == 0:
                raise ValidationError(_("Transaction %(t)s has a zero leg.") % {"t": key})
            sums[leg.currency] += leg.amount_minor
        if len(legs) < 2 or any(sums.values()):
            raise ValidationError(_("Transaction %(t)s does not balance.") % {"t": key})
