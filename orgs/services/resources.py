"""Partners' use of shared platform resources over time (metric 15, "spirit of sharing").

Who used which `PlatformResource`, from when, until when: a use is opened and ended through
these services (each with its audit row), never edited. Only a partner that may take part in the
ecosystem (probation, active, on watch) can start using a resource.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from config.errors import ConflictError
from orgs.audit import audit_record
from orgs.models import Partner, PlatformResource, ResourceUse
from orgs.services._common import today


def _require_manager(actor) -> None:
    if actor is not None and not actor.has_perm("orgs.manage_partners"):
        raise PermissionDenied(_("Only platform admins record partners' use of platform resources."))


@transaction.atomic
def resource_use_start(
    *,
    actor,
    partner: Partner | None,
    resource: PlatformResource | None,
    started_on: dt.date | None = None,
    note: str = "",
) -> ResourceUse:
    """Record that `partner` uses `resource` from `started_on` (default today)."""
    _require_manager(actor)
    errors: dict[str, list[str]] = {}
    started_on = started_on or today()
    if partner is None:
        errors["partner"] = [_("Choose a partner.")]
    else:
        partner = Partner.objects.select_for_update().get(pk=partner.pk)  # its state, held
        if partner.state not in Partner.CREDITABLE_STATES:
            errors["partner"] = [
                _("%(partner)s is %(state)s: only a partner on probation, active or on watch uses resources.")
                % {"partner": partner.name, "state": partner.get_state_display().lower()}
            ]
    if resource is None:
        errors["resource"] = [_("Choose a platform resource.")]
    if not isinstance(started_on, dt.date):
        errors["started_on"] = [_("Give a date.")]
    elif started_on > today():
        errors["started_on"] = [_("A use cannot start in the future.")]
    if (
        not errors
        and ResourceUse.objects.filter(partner=partner, resource=resource, ended_on__isnull=True).exists()
    ):
        raise ConflictError({"resource": [_("This partner already uses this resource (the use is open).")]})
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            use = ResourceUse.objects.create(
                partner=partner,
                resource=resource,
                started_on=started_on,
                note=(note or "").strip()[:255],
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        raise ConflictError(
            {"resource": [_("This partner already uses this resource (the use is open).")]}
        ) from None
    audit_record(
        actor=actor,
        action="partner.resource_use_start",
        target=partner,
        changes={"resource": resource.code, "started_on": started_on.isoformat()},
        reason=note,
    )
    return use


@transaction.atomic
def resource_use_end(
    *, actor, use: ResourceUse, ended_on: dt.date | None = None, reason: str = ""
) -> ResourceUse:
    """End an open use on `ended_on` (exclusive; default today)."""
    _require_manager(actor)
    use = ResourceUse.objects.select_for_update().select_related("partner", "resource").get(pk=use.pk)
    ended_on = ended_on or today()
    if use.ended_on is not None:
        raise ConflictError({"ended_on": [_("This use has already ended.")]})
    if not isinstance(ended_on, dt.date) or ended_on <= use.started_on:
        raise ValidationError({"ended_on": [_("A use ends after the day it started.")]})
    if ended_on > today():
        raise ValidationError({"ended_on": [_("A use cannot end in the future.")]})
    ResourceUse.objects.filter(pk=use.pk, ended_on__isnull=True).update(ended_on=ended_on)
    use.ended_on = ended_on
    audit_record(
        actor=actor,
        action="partner.resource_use_end",
        target=use.partner,
        changes={"resource": use.resource.code, "ended_on": ended_on.isoformat()},
        reason=reason,
    )
    return use
