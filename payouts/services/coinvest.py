"""Members' co-investment in an EMC's bet for a contract period (returned or forfeited by the
payout computation, docs/payouts.md example 7)."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from orgs.audit import audit_record
from orgs.models import EMC, Membership, Microenterprise
from payouts.models import CoInvestment


@transaction.atomic
def coinvestment_record(
    *, actor, emc: EMC, me: Microenterprise, user, period_start: dt.date, currency: str, amount_minor: int
) -> CoInvestment:
    """Record a member's co-investment (finance records what the member paid in)."""
    if actor is None or not actor.has_perm("payouts.compute"):
        raise PermissionDenied(_("You may not record co-investments."))
    errors = {}
    if not isinstance(amount_minor, int) or amount_minor <= 0:
        errors["amount_minor"] = [_("A co-investment is more than zero.")]
    if not Membership.objects.filter(me=me, user=user, joined_on__lte=period_start).exists():
        errors["user"] = [_("Only a member of the ME co-invests in its bet.")]
    if CoInvestment.objects.filter(
        emc=emc, me=me, user=user, period_start=period_start, currency=currency
    ).exists():
        errors["user"] = [_("This member's co-investment for the period is already recorded.")]
    if errors:
        raise ValidationError(errors)
    stake = CoInvestment.objects.create(
        emc=emc,
        me=me,
        user=user,
        period_start=period_start,
        currency=currency,
        amount_minor=amount_minor,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="payouts.coinvestment_record",
        target=stake,
        changes={"amount_minor": amount_minor, "currency": currency},
    )
    return stake
