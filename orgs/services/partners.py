"""Partner writes: registration, details, certifications, the entry/exit lifecycle, tiers, proposals.

The lifecycle table lives in orgs.lifecycle; `partner_transition` is the only place a partner's
state changes, so the checks, the timeline row and the audit row are the same from every
interface (web form, API action, admin action, accepted nightly proposal).
"""

import datetime as dt
import json
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import ConflictError
from orgs import lifecycle
from orgs.audit import audit_record
from orgs.codes import check_code_not_reserved
from orgs.currencies import currency_check
from orgs.models import (
    Certification,
    EMCParticipation,
    Industry,
    Partner,
    PartnerProposal,
    PartnerRole,
    PartnerTier,
    PartnerTransition,
    PlatformResource,
    PlatformStandard,
)
from orgs.services._common import require_reason, today

State = Partner.State


def _state_label(state: str) -> str:
    return str(State(state).label) if state in State.values else state


def _check_currency(code: str) -> str:
    """The baseline currency in capitals, checked by the one currency rule (orgs.currencies)."""
    return currency_check((code or "").upper(), field="baseline_currency")


def _check_baseline(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError(
            {
                "revenue_baseline_minor": _(
                    "The revenue baseline is a whole number of minor units, not negative."
                )
            }
        )
    return value


@transaction.atomic
def partner_create(
    *,
    actor,
    code: str,
    name: str,
    roles: Sequence[PartnerRole],
    tier: PartnerTier | None = None,
    industries: Sequence[Industry] = (),
    resources: Sequence[PlatformResource] = (),
    revenue_baseline_minor: int = 0,
    baseline_currency: str = "CNY",
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    website: str = "",
    offer: str = "",
    applied_on: dt.date | None = None,
    reason: str = "",
) -> Partner:
    """Register a partner's application (state applied), with its first timeline row."""
    if not (name or "").strip():
        raise ValidationError({"name": _("A name is required.")})
    if not code:
        raise ValidationError({"code": _("A code is required.")})
    check_code_not_reserved(code)
    if not roles:
        raise ValidationError({"roles": _("A partner needs at least one role.")})
    currency = _check_currency(baseline_currency)
    baseline = _check_baseline(revenue_baseline_minor)
    if Partner.objects.filter(code=code).exists():
        raise ConflictError({"code": _("A partner with code “%(code)s” already exists.") % {"code": code}})
    applied_on = applied_on or today()
    partner = Partner.objects.create(
        code=code,
        name=name.strip(),
        state=State.APPLIED,
        state_since=applied_on,
        applied_on=applied_on,
        tier=tier or PartnerTier.objects.order_by("rank").first(),
        revenue_baseline_minor=baseline,
        baseline_currency=currency,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        website=website,
        offer=(offer or "").strip(),
    )
    partner.roles.set(roles)
    partner.industries.set(industries)
    partner.resources.set(resources)
    reason = reason.strip() or _("Application received.")
    PartnerTransition.objects.create(
        partner=partner,
        from_value="",
        to_value=State.APPLIED,
        effective_on=applied_on,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        reason=reason,
    )
    audit_record(
        actor=actor,
        action="partner.create",
        target=partner,
        reason=reason,
        changes={"state": [None, State.APPLIED], "tier": partner.tier.code, "roles": [r.code for r in roles]},
    )
    return partner


PARTNER_EDITABLE = (
    "name",
    "contact_name",
    "contact_email",
    "contact_phone",
    "website",
    "revenue_baseline_minor",
    "baseline_currency",
)
PARTNER_EDITABLE_M2M = ("roles", "industries", "resources")


@transaction.atomic
def partner_update(*, partner: Partner, actor, data: dict, reason: str = "") -> Partner:
    """Change a partner's details (never its state or tier: those have their own services)."""
    unknown = set(data) - set(PARTNER_EDITABLE) - set(PARTNER_EDITABLE_M2M)
    if unknown:
        raise ValidationError({field: _("This field cannot be changed here.") for field in sorted(unknown)})
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    if "baseline_currency" in data:
        data["baseline_currency"] = _check_currency(data["baseline_currency"])
    if "revenue_baseline_minor" in data:
        _check_baseline(data["revenue_baseline_minor"])
    if "name" in data and not (data["name"] or "").strip():
        raise ValidationError({"name": _("A name is required.")})
    if "roles" in data and not data["roles"]:
        raise ValidationError({"roles": _("A partner needs at least one role.")})
    changes = {}
    for field in PARTNER_EDITABLE:
        if field in data and data[field] != getattr(partner, field):
            changes[field] = [getattr(partner, field), data[field]]
            setattr(partner, field, data[field])
    if changes:
        partner.save(update_fields=list(changes))
    for field in PARTNER_EDITABLE_M2M:
        if field in data:
            before = sorted(str(o.pk) for o in getattr(partner, field).all())
            after = sorted(str(o.pk) for o in data[field])
            if before != after:
                getattr(partner, field).set(data[field])
                changes[field] = [before, after]
    if changes:
        audit_record(actor=actor, action="partner.update", target=partner, changes=changes, reason=reason)
    return partner


@transaction.atomic
def partner_certify(
    *,
    partner: Partner,
    standard: PlatformStandard,
    actor,
    certified_on: dt.date | None = None,
    expires_on: dt.date | None = None,
    reason: str = "",
) -> Certification:
    """Record a certification of the partner against one of the platform's standards."""
    certified_on = certified_on or today()
    if certified_on > today():
        raise ValidationError({"certified_on": _("A certification cannot be granted in the future.")})
    if expires_on is not None and expires_on <= certified_on:
        raise ValidationError({"expires_on": _("A certification must expire after it was granted.")})
    cert = Certification.objects.create(
        partner=partner, standard=standard, certified_on=certified_on, expires_on=expires_on
    )
    audit_record(
        actor=actor,
        action="partner.certify",
        target=partner,
        reason=reason,
        changes={
            "standard": standard.code,
            "certified_on": certified_on.isoformat(),
            "expires_on": expires_on.isoformat() if expires_on else None,
        },
    )
    return cert


def _not_after_today(effective_on: dt.date) -> dt.date:
    """A partner's state or tier changes from today or a day past, never ahead: a future date
    would show now and block every earlier change until then."""
    if effective_on > today():
        raise ValidationError({"effective_on": _("A change takes effect today or on a past day, not later.")})
    return effective_on


@transaction.atomic
def partner_transition(
    *,
    partner: Partner,
    to_state: str,
    actor,
    reason: str,
    evidence: str = "",
    effective_on: dt.date | None = None,
    proposal: PartnerProposal | None = None,
) -> PartnerTransition:
    """Move a partner along the lifecycle (orgs.lifecycle.TRANSITIONS), recording who, when, why.

    Phasing out ends the partner's open EMC participations from `effective_on`, so it is no
    longer credited on value events from that date; all history is kept. Open proposals that
    the new state answers or makes impossible are closed.
    """
    reason = require_reason(reason)
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    from_state = partner.state
    if not lifecycle.is_allowed(from_state, to_state):
        allowed = ", ".join(_state_label(s) for s in lifecycle.allowed_targets(from_state)) or _("none")
        raise ConflictError(
            {
                "state": _("A partner cannot go from %(from)s to %(to)s. Allowed from %(from)s: %(allowed)s.")
                % {"from": _state_label(from_state), "to": _state_label(to_state), "allowed": allowed}
            }
        )
    effective_on = _not_after_today(effective_on or today())
    if effective_on < partner.state_since:
        raise ValidationError(
            {
                "effective_on": _(
                    "The partner has been %(state)s since %(since)s; the change cannot take effect earlier."
                )
                % {"state": _state_label(from_state), "since": partner.state_since}
            }
        )
    if proposal is not None:
        proposal = PartnerProposal.objects.select_for_update().get(pk=proposal.pk)
        if (
            proposal.partner_id != partner.pk
            or proposal.to_state != to_state
            or proposal.status != PartnerProposal.Status.OPEN
        ):
            raise ConflictError({"proposal": _("This proposal is not open for this partner and state.")})
    partner.state, partner.state_since = to_state, effective_on
    partner.save(update_fields=["state", "state_since"])
    ended = []
    if to_state == State.PHASED_OUT:
        # every participation still running on the exit date: open ones and ones due to end later
        live = EMCParticipation.objects.filter(partner=partner).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=effective_on)
        )
        ended = sorted(live.values_list("emc__code", flat=True))
        # a participation due to start after the exit date ends the day it would have started
        live.filter(started_on__gt=effective_on).update(ended_on=F("started_on"))
        live.filter(started_on__lte=effective_on).update(ended_on=effective_on)
    step = PartnerTransition.objects.create(
        partner=partner,
        kind=PartnerTransition.Kind.STATE,
        from_value=from_state,
        to_value=to_state,
        effective_on=effective_on,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        reason=reason,
        evidence=evidence or "",
        proposal=proposal,
    )
    now = timezone.now()
    if proposal is not None:
        PartnerProposal.objects.filter(pk=proposal.pk).update(
            status=PartnerProposal.Status.ACCEPTED,
            decided_by=step.actor,
            decided_at=now,
            decision_reason=reason,
        )
    moot = PartnerProposal.objects.filter(partner=partner, status=PartnerProposal.Status.OPEN).exclude(
        to_state__in=lifecycle.allowed_targets(to_state)
    )
    moot.update(
        status=PartnerProposal.Status.DISMISSED,
        decided_by=step.actor,
        decided_at=now,
        decision_reason=_("Superseded: the partner became %(state)s.") % {"state": _state_label(to_state)},
    )
    changes = {"state": [from_state, to_state], "effective_on": effective_on.isoformat()}
    if ended:
        changes["emc_participations_ended"] = ended
    if proposal is not None:
        changes["proposal"] = proposal.pk
    audit_record(
        actor=actor,
        action=f"partner.{lifecycle.TRANSITIONS[from_state][to_state]}",
        target=partner,
        changes=changes,
        reason=reason,
    )
    return step


def partner_act(
    *,
    partner: Partner,
    action: str,
    actor,
    reason: str,
    evidence: str = "",
    effective_on: dt.date | None = None,
) -> PartnerTransition:
    """Run a named lifecycle action (admit, reject, activate, watch, reinstate, phase_out, reapply)."""
    if action not in lifecycle.ACTION_TARGETS:
        raise ValidationError({"action": _("Unknown action “%(action)s”.") % {"action": action}})
    return partner_transition(
        partner=partner,
        to_state=lifecycle.ACTION_TARGETS[action],
        actor=actor,
        reason=reason,
        evidence=evidence,
        effective_on=effective_on,
    )


def partner_phase_out(
    *, partner: Partner, actor, reason: str, evidence: str = "", effective_on: dt.date | None = None
) -> PartnerTransition:
    return partner_transition(
        partner=partner,
        to_state=State.PHASED_OUT,
        actor=actor,
        reason=reason,
        evidence=evidence,
        effective_on=effective_on,
    )


@transaction.atomic
def partner_tier_change(
    *,
    partner: Partner,
    tier: PartnerTier,
    actor,
    reason: str,
    evidence: str = "",
    effective_on: dt.date | None = None,
) -> PartnerTransition:
    """Promote or demote a partner's tier, with the same who/when/why as a state change."""
    reason = require_reason(reason)
    partner = Partner.objects.select_for_update().select_related("tier").get(pk=partner.pk)
    if tier.pk == partner.tier_id:
        raise ConflictError({"tier": _("The partner is already %(tier)s.") % {"tier": tier.name}})
    old = partner.tier
    effective_on = _not_after_today(effective_on or today())
    partner.tier = tier
    partner.save(update_fields=["tier"])
    step = PartnerTransition.objects.create(
        partner=partner,
        kind=PartnerTransition.Kind.TIER,
        from_value=old.code,
        to_value=tier.code,
        effective_on=effective_on,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        reason=reason,
        evidence=evidence or "",
    )
    audit_record(
        actor=actor,
        action="partner.promote" if tier.rank > old.rank else "partner.demote",
        target=partner,
        changes={"tier": [old.code, tier.code], "effective_on": effective_on.isoformat()},
        reason=reason,
    )
    return step


def partner_proposal_create(
    *,
    partner: Partner,
    to_state: str,
    reason: str,
    evidence: dict | None = None,
    source: str = "nightly",
    actor=None,
) -> tuple[PartnerProposal, bool]:
    """Suggest putting a partner on watch or phasing it out; idempotent: one open proposal per
    partner and target state (a second call returns the open one and False)."""
    reason = require_reason(reason)
    if to_state not in lifecycle.PROPOSABLE_STATES:
        raise ValidationError({"to_state": _("Only on watch or phased out can be proposed.")})
    existing = PartnerProposal.objects.filter(
        partner=partner, to_state=to_state, status=PartnerProposal.Status.OPEN
    ).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            current = Partner.objects.select_for_update().get(pk=partner.pk)
            if not lifecycle.is_allowed(current.state, to_state):
                raise ConflictError(
                    {
                        "to_state": _("A partner that is %(from)s cannot be proposed for %(to)s.")
                        % {"from": _state_label(current.state), "to": _state_label(to_state)}
                    }
                )
            proposal = PartnerProposal.objects.create(
                partner=current, to_state=to_state, reason=reason, evidence=evidence or {}, source=source
            )
            audit_record(
                actor=actor,
                action="partner.proposal_create",
                target=current,
                reason=reason,
                changes={"proposal": proposal.pk, "to_state": to_state, "source": source},
            )
    except IntegrityError:  # a concurrent call created it first
        return PartnerProposal.objects.get(
            partner=partner, to_state=to_state, status=PartnerProposal.Status.OPEN
        ), False
    return proposal, True


@transaction.atomic
def partner_proposal_accept(
    *, proposal: PartnerProposal, actor, reason: str = "", effective_on: dt.date | None = None
) -> PartnerTransition:
    """Accept an open proposal: run its transition with the proposal's evidence attached."""
    proposal = PartnerProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != PartnerProposal.Status.OPEN:
        raise ConflictError(
            {"status": _("This proposal is already %(status)s.") % {"status": proposal.get_status_display()}}
        )
    return partner_transition(
        partner=proposal.partner,
        to_state=proposal.to_state,
        actor=actor,
        reason=(reason or "").strip() or proposal.reason,
        evidence=json.dumps(proposal.evidence, ensure_ascii=False, sort_keys=True)
        if proposal.evidence
        else "",
        effective_on=effective_on,
        proposal=proposal,
    )


@transaction.atomic
def partner_proposal_dismiss(*, proposal: PartnerProposal, actor, reason: str) -> PartnerProposal:
    """Dismiss an open proposal, saying why."""
    reason = require_reason(reason)
    proposal = PartnerProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != PartnerProposal.Status.OPEN:
        raise ConflictError(
            {"status": _("This proposal is already %(status)s.") % {"status": proposal.get_status_display()}}
        )
    proposal.status = PartnerProposal.Status.DISMISSED
    proposal.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    proposal.decided_at = timezone.now()
    proposal.decision_reason = reason
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit_record(
        actor=actor,
        action="partner.proposal_dismiss",
        target=proposal.partner,
        reason=reason,
        changes={"proposal": proposal.pk, "to_state": proposal.to_state},
    )
    return proposal
