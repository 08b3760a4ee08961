"""Checks shared by the organization's services."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from config import values
from orgs.models import WEIGHT_TOTAL
from orgs.roles import ROLES_OUTSIDE_MES, Role

WEIGHT_QUANTUM = Decimal("0.0001")  # the weight fields keep four decimals


def today() -> dt.date:
    return timezone.localdate()


def require_reason(reason: str | None, *, field: str = "reason") -> str:
    """Return the stripped reason or refuse a blank one."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: _("A reason is required.")})
    return reason


def as_weight(value, *, field: str) -> Decimal:
    """A weight (a percentage): decimal text (no exponent) or a number a form or serializer
    parsed, from 0 to 100 with at most four decimals."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValidationError({field: _("“%(value)s” is not a number.") % {"value": value}})
    try:
        weight = values.decimal_text_parse(value, field=field) if isinstance(value, str) else Decimal(value)
    except ValidationError:
        raise ValidationError({field: _("“%(value)s” is not a number.") % {"value": value}}) from None
    if not weight.is_finite():
        raise ValidationError({field: _("“%(value)s” is not a number.") % {"value": value}})
    if weight < 0:
        raise ValidationError({field: _("Weights cannot be negative (got %(value)s).") % {"value": weight}})
    if weight > WEIGHT_TOTAL:  # before quantize, which cannot take a number past its precision
        raise ValidationError(
            {field: _("A weight is a percentage: at most 100 (got %(value)s).") % {"value": value}}
        )
    if weight != weight.quantize(WEIGHT_QUANTUM):
        raise ValidationError(
            {field: _("Weights have at most four decimals (got %(value)s).") % {"value": weight}}
        )
    return weight


def check_weight_total(weights: Iterable[Decimal], *, field: str) -> None:
    """Refuse a non-empty set of weights that does not sum to exactly WEIGHT_TOTAL (100)."""
    weights = list(weights)
    if not weights:
        return
    total = sum(weights, Decimal(0))
    if total != WEIGHT_TOTAL:
        raise ValidationError(
            {
                field: _("The weights sum to %(total)s; they must sum to exactly %(required)s.")
                % {"total": format(total.normalize(), "f"), "required": format(WEIGHT_TOTAL.normalize(), "f")}
            }
        )


def normalise(weights: dict, total: Decimal = WEIGHT_TOTAL) -> dict:
    """Scale {key: weight} to sum exactly to `total`; the rounding remainder goes to the largest
    weight (ties: the first key in sorted order), so the result is deterministic."""
    current = sum(weights.values(), Decimal(0))
    if not weights:
        return {}
    if current == 0:
        share = (total / len(weights)).quantize(WEIGHT_QUANTUM)
        scaled = dict.fromkeys(weights, share)
    else:
        scaled = {k: (w * total / current).quantize(WEIGHT_QUANTUM) for k, w in weights.items()}
    remainder = total - sum(scaled.values(), Decimal(0))
    if remainder:
        top = min(scaled, key=lambda k: (-scaled[k], str(k)))
        scaled[top] += remainder
    return scaled


def roles_outside_mes(user_ids: Iterable[int]) -> dict[int, list[str]]:
    """{user id: the roles it holds that keep it out of MEs}, for those that hold any (one query)."""
    ids = [pk for pk in user_ids if pk is not None]
    if not ids:
        return {}
    through = get_user_model().groups.through
    held = defaultdict(list)
    rows = through.objects.filter(user_id__in=ids, group__name__in=ROLES_OUTSIDE_MES)
    for user_id, role in rows.values_list("user_id", "group__name").order_by("user_id", "group__name"):
        held[user_id].append(role)
    return dict(held)


def outside_me_message(username: str, roles: Sequence[str]) -> str:
    return _("%(user)s holds the role %(roles)s and cannot lead or belong to an ME.") % {
        "user": username,
        "roles": ", ".join(str(Role(r).label) for r in roles),
    }


def check_me_people(users: Iterable, *, field: str) -> None:
    """Refuse partner users, finance and auditors as an ME's leader or members (one query)."""
    users = [u for u in users if u is not None]
    held = roles_outside_mes(u.pk for u in users)
    for user in sorted(users, key=lambda u: u.get_username()):
        if user.pk in held:
            raise ValidationError({field: outside_me_message(user.get_username(), held[user.pk])})
