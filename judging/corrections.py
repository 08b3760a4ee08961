"""Correcting a cost entry: never an edit, a reversing entry.

A platform admin or finance (`judging.correct_costs`, as the ledger's reversals) reverses a
mistaken cost with a reason: an entry of the negated amount, same ME, days, category and
currency, naming the original in `reverses` (once: the database holds one reversal per entry),
with the reason as its note and an audit row. The statement then nets the two; the right
amount, if any, is logged as a new entry.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import ConflictError
from judging.models import CostEntry
from orgs.audit import audit_record


@transaction.atomic
def cost_entry_reverse(*, actor, entry: CostEntry, reason: str, source: str) -> CostEntry:
    """Reverse a cost entry (see the module); returns the reversing entry."""
    if actor is not None and not actor.has_perm("judging.correct_costs"):
        raise PermissionDenied(_("Only finance or a platform admin corrects costs."))
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError({"reason": _("Say why this cost is reversed.")})
    if len(reason) > 255:
        raise ValidationError({"reason": _("Keep the reason under 255 characters.")})
    original = CostEntry.objects.select_for_update().select_related("me").get(pk=entry.pk)
    if original.reverses_id is not None:
        raise ConflictError({"entry": _("A reversal cannot itself be reversed; log a new cost instead.")})
    if CostEntry.objects.filter(reverses=original).exists():
        raise ConflictError({"entry": _("This cost is already reversed.")})
    try:
        with transaction.atomic():
            reversal = CostEntry.objects.create(
                me=original.me,
                starts_on=original.starts_on,
                ends_on=original.ends_on,
                category=original.category,
                amount_minor=-original.amount_minor,
                currency=original.currency,
                note=reason,
                reverses=original,
                logged_by=actor if actor is not None and actor.is_authenticated else None,
                logged_at=timezone.now(),
                source=source,
            )
    except IntegrityError:  # reversed at the same moment by someone else
        raise ConflictError({"entry": _("This cost is already reversed.")}) from None
    audit_record(
        actor=actor,
        action="judging.cost_entry_reverse",
        target=original,
        reason=reason,
        changes={
            "reversal": reversal.pk,
            "amount_minor": reversal.amount_minor,
            "currency": reversal.currency,
        },
    )
    return reversal
