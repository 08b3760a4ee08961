"""EMC writes: create, node MEs and their share weights, partners joining and leaving, split, disband."""

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from config.errors import ConflictError
from orgs.audit import audit_record
from orgs.codes import check_code_not_reserved
from orgs.models import EMC, EMCNode, EMCParticipation, Microenterprise, Partner, Scenario
from orgs.services._common import as_weight, check_weight_total, require_reason, today

Status = EMC.Status


def _lock(emc: EMC) -> EMC:
    return EMC.objects.select_for_update().get(pk=emc.pk)


def _check_active(emc: EMC, *, field: str = "status") -> None:
    if emc.status != Status.ACTIVE:
        raise ConflictError(
            {
                field: _("EMC %(code)s is %(status)s; only an active EMC can change.")
                % {"code": emc.code, "status": emc.get_status_display()}
            }
        )


def _check_code_free(code: str, *, field: str = "code") -> None:
    if not code:
        raise ValidationError({field: _("A code is required.")})
    check_code_not_reserved(code, field=field)
    if EMC.objects.filter(code=code).exists():
        raise ConflictError({field: _("An EMC with code “%(code)s” already exists.") % {"code": code}})


def _check_kind(kind: str) -> None:
    if kind not in EMC.Kind.values:
        raise ValidationError(
            {"kind": _("Kind must be one of: %(kinds)s.") % {"kinds": ", ".join(EMC.Kind.values)}}
        )


def _check_me_live(me: Microenterprise, *, field: str) -> None:
    if not me.is_live:
        raise ValidationError(
            {
                field: _("ME %(code)s is %(status)s and cannot take part in an EMC.")
                % {"code": me.code, "status": me.get_status_display()}
            }
        )


def _parse_nodes(nodes: Sequence[dict], *, field: str = "nodes") -> dict:
    """Return {me: (weight, obligations)} from [{"me", "share_weight", "obligations"?}]."""
    parsed = {}
    for row in nodes:
        me = row["me"]
        if me in parsed:
            raise ValidationError({field: _("ME %(code)s is listed twice.") % {"code": me.code}})
        _check_me_live(me, field=field)
        parsed[me] = (as_weight(row["share_weight"], field=field), (row.get("obligations") or "").strip())
    if not parsed:
        raise ValidationError({field: _("An EMC needs at least one node ME.")})
    check_weight_total((w for w, _o in parsed.values()), field=field)
    return parsed


def _apply_nodes(emc: EMC, wanted: dict, *, on: dt.date) -> dict:
    """Make the EMC's open seats equal `wanted`; changed seats end and reopen (same day: in place)."""
    current = {n.me: n for n in emc.nodes.filter(left_on__isnull=True).select_related("me")}
    for node in current.values():
        if on < node.joined_on:
            raise ValidationError(
                {
                    "on": _("ME %(code)s joined on %(joined)s; changes cannot take effect earlier.")
                    % {"code": node.me.code, "joined": node.joined_on}
                }
            )
    to_close, to_update, to_create = [], [], []
    for me, node in current.items():
        if me not in wanted:
            to_close.append(node.pk)
            continue
        weight, obligations = wanted[me]
        if (weight, obligations) != (node.share_weight, node.obligations):
            if node.joined_on == on:
                node.share_weight, node.obligations = weight, obligations
                to_update.append(node)
            else:
                to_close.append(node.pk)
                to_create.append(
                    EMCNode(emc=emc, me=me, share_weight=weight, obligations=obligations, joined_on=on)
                )
    for me, (weight, obligations) in wanted.items():
        if me not in current:
            to_create.append(
                EMCNode(emc=emc, me=me, share_weight=weight, obligations=obligations, joined_on=on)
            )
    EMCNode.objects.filter(pk__in=to_close, left_on__isnull=True).update(left_on=on)
    EMCNode.objects.bulk_update(to_update, ["share_weight", "obligations"])
    EMCNode.objects.bulk_create(to_create)
    return {me: (n.share_weight, n.obligations) for me, n in current.items()}


def _node_changes(before: dict, after: dict) -> dict:
    return {
        "nodes": {
            "before": {m.code: str(w) for m, (w, _o) in before.items()},
            "after": {m.code: str(w) for m, (w, _o) in after.items()},
        }
    }


def _check_partner_can_join(partner: Partner, *, field: str = "partner") -> None:
    if partner.state not in Partner.CREDITABLE_STATES:
        raise ConflictError(
            {
                field: _(
                    "%(partner)s is %(state)s; only partners on probation, active or on watch can join an EMC."
                )
                % {"partner": partner.name, "state": partner.get_state_display()}
            }
        )


@transaction.atomic
def emc_create(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    lead_me: Microenterprise,
    scenarios: Sequence[Scenario] = (),
    nodes: Sequence[dict] | None = None,
    formed_on: dt.date | None = None,
    reason: str = "",
) -> EMC:
    """Create an active EMC led by `lead_me`; without `nodes` the lead ME holds the only seat (100)."""
    if not (name or "").strip():
        raise ValidationError({"name": _("A name is required.")})
    _check_kind(kind)
    _check_me_live(lead_me, field="lead_me")
    _check_code_free(code)
    wanted = _parse_nodes(nodes if nodes is not None else [{"me": lead_me, "share_weight": 100}])
    emc = EMC.objects.create(
        code=code, name=name.strip(), kind=kind, lead_me=lead_me, formed_on=formed_on or today()
    )
    emc.scenarios.set(scenarios)
    _apply_nodes(emc, wanted, on=emc.formed_on)
    audit_record(
        actor=actor,
        action="emc.create",
        target=emc,
        reason=reason,
        changes={"kind": kind, "lead_me": lead_me.code, "scenarios": [s.code for s in scenarios]}
        | _node_changes({}, wanted),
    )
    return emc


@transaction.atomic
def emc_update(
    *,
    emc: EMC,
    actor,
    name: str | None = None,
    lead_me: Microenterprise | None = None,
    scenarios: Sequence[Scenario] | None = None,
    reason: str = "",
) -> EMC:
    """Change an active EMC's name, lead ME or scenarios."""
    emc = _lock(emc)
    _check_active(emc)
    changes = {}
    if name is not None and name.strip() and name.strip() != emc.name:
        changes["name"] = [emc.name, name.strip()]
        emc.name = name.strip()
    if lead_me is not None and lead_me.pk != emc.lead_me_id:
        _check_me_live(lead_me, field="lead_me")
        changes["lead_me"] = [emc.lead_me.code, lead_me.code]
        emc.lead_me = lead_me
    if changes:
        emc.save(update_fields=["name", "lead_me"])
    if scenarios is not None:
        before = sorted(emc.scenarios.values_list("code", flat=True))
        after = sorted(s.code for s in scenarios)
        if before != after:
            emc.scenarios.set(scenarios)
            changes["scenarios"] = [before, after]
    if changes:
        audit_record(actor=actor, action="emc.update", target=emc, changes=changes, reason=reason)
    return emc


@transaction.atomic
def emc_nodes_set(
    *, emc: EMC, actor, nodes: Sequence[dict], on: dt.date | None = None, reason: str = ""
) -> EMC:
    """Replace the EMC's node MEs, obligations and share weights (the whole set, summing to 100)."""
    emc = _lock(emc)
    _check_active(emc)
    wanted = _parse_nodes(nodes)
    before = _apply_nodes(emc, wanted, on=on or today())
    if before != wanted:
        audit_record(
            actor=actor,
            action="emc.nodes_set",
            target=emc,
            changes=_node_changes(before, wanted),
            reason=reason,
        )
    return emc


@transaction.atomic
def emc_partner_join(
    *, emc: EMC, partner: Partner, actor, on: dt.date | None = None, note: str = "", reason: str = ""
) -> EMCParticipation:
    """Let an admitted partner take part in an active EMC from `on`."""
    on = on or today()
    emc = _lock(emc)
    _check_active(emc)
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    _check_partner_can_join(partner)
    if EMCParticipation.objects.filter(emc=emc, partner=partner, ended_on__isnull=True).exists():
        raise ConflictError(
            {
                "partner": _("%(partner)s already takes part in %(emc)s.")
                % {"partner": partner.name, "emc": emc.code}
            }
        )
    participation = EMCParticipation.objects.create(emc=emc, partner=partner, started_on=on, note=note)
    audit_record(
        actor=actor,
        action="emc.partner_join",
        target=emc,
        reason=reason or note,
        changes={"partner": partner.code, "started_on": on.isoformat()},
    )
    return participation


@transaction.atomic
def emc_partner_leave(
    *, emc: EMC, partner: Partner, actor, reason: str, on: dt.date | None = None
) -> EMCParticipation:
    """End a partner's open participation in an EMC on `on` (history kept)."""
    reason = require_reason(reason)
    on = on or today()
    emc = _lock(emc)
    participation = (
        EMCParticipation.objects.select_for_update()
        .filter(emc=emc, partner=partner, ended_on__isnull=True)
        .first()
    )
    if participation is None:
        raise ConflictError(
            {
                "partner": _("%(partner)s does not take part in %(emc)s.")
                % {"partner": partner.name, "emc": emc.code}
            }
        )
    if on < participation.started_on:
        raise ValidationError(
            {
                "on": _("The participation began on %(start)s; it cannot end earlier.")
                % {"start": participation.started_on}
            }
        )
    participation.ended_on = on
    participation.save(update_fields=["ended_on"])
    audit_record(
        actor=actor,
        action="emc.partner_leave",
        target=emc,
        reason=reason,
        changes={"partner": partner.code, "ended_on": on.isoformat()},
    )
    return participation


def _end_everything(emc: EMC, *, on: dt.date) -> dict:
    """End the EMC's open seats and participations on `on`; return what was open."""
    seats = list(emc.nodes.filter(left_on__isnull=True).values_list("me__code", flat=True))
    partners = list(emc.participations.filter(ended_on__isnull=True).values_list("partner__code", flat=True))
    for start in emc.participations.filter(ended_on__isnull=True, started_on__gt=on).values_list(
        "started_on", flat=True
    ):
        raise ValidationError(
            {"on": _("A participation began on %(start)s, after %(on)s.") % {"start": start, "on": on}}
        )
    emc.nodes.filter(left_on__isnull=True).update(left_on=on)
    emc.participations.filter(ended_on__isnull=True).update(ended_on=on)
    return {"nodes_ended": sorted(seats), "partners_ended": sorted(partners)}


@transaction.atomic
def emc_split(
    *, emc: EMC, actor, children: Sequence[dict], reason: str, on: dt.date | None = None
) -> list[EMC]:
    """Split an active EMC into new EMCs (e.g. when user needs segment).

    `children`: [{"code", "name", "kind"?, "lead_me", "scenarios"?, "nodes", "partners"?}]. The
    parent's seats and participations end on `on` and its status becomes split; each child
    records `split_from`, its own nodes (summing to 100) and the partners that move with it.
    """
    reason = require_reason(reason)
    on = on or today()
    emc = _lock(emc)
    _check_active(emc)
    if len(children) < 2:
        raise ValidationError({"children": _("A split needs at least two new EMCs.")})
    codes = [c.get("code") for c in children]
    if len(set(codes)) != len(codes):
        raise ValidationError({"children": _("The new EMCs need distinct codes.")})
    for code in codes:
        _check_code_free(code, field="children")
    plans = []
    for child in children:
        _check_kind(child.get("kind") or emc.kind)
        _check_me_live(child["lead_me"], field="children")
        plans.append(
            (child, _parse_nodes(child.get("nodes") or [{"me": child["lead_me"], "share_weight": 100}]))
        )
    ended = _end_everything(emc, on=on)
    parent_scenarios = list(emc.scenarios.all())
    new_emcs = []
    for child, wanted in plans:
        new = EMC.objects.create(
            code=child["code"],
            name=(child.get("name") or child["code"]).strip(),
            kind=child.get("kind") or emc.kind,
            lead_me=child["lead_me"],
            split_from=emc,
            formed_on=on,
        )
        new.scenarios.set(child.get("scenarios") or parent_scenarios)
        _apply_nodes(new, wanted, on=on)
        partners = list(child.get("partners") or ())
        for partner in partners:
            _check_partner_can_join(partner, field="children")
        EMCParticipation.objects.bulk_create(
            EMCParticipation(emc=new, partner=p, started_on=on) for p in partners
        )
        audit_record(
            actor=actor,
            action="emc.create",
            target=new,
            reason=reason,
            changes={"split_from": emc.code, "partners": [p.code for p in partners]}
            | _node_changes({}, wanted),
        )
        new_emcs.append(new)
    emc.status, emc.ended_on = Status.SPLIT, on
    emc.save(update_fields=["status", "ended_on"])
    audit_record(
        actor=actor,
        action="emc.split",
        target=emc,
        reason=reason,
        changes={"status": [Status.ACTIVE, Status.SPLIT], "into": codes} | ended,
    )
    return new_emcs


@transaction.atomic
def emc_disband(*, emc: EMC, actor, reason: str, on: dt.date | None = None) -> EMC:
    """Disband an active EMC: its seats and partner participations end on `on`; history stays."""
    reason = require_reason(reason)
    on = on or today()
    emc = _lock(emc)
    _check_active(emc)
    ended = _end_everything(emc, on=on)
    emc.status, emc.ended_on = Status.DISBANDED, on
    emc.save(update_fields=["status", "ended_on"])
    audit_record(
        actor=actor,
        action="emc.disband",
        target=emc,
        reason=reason,
        changes={"status": [Status.ACTIVE, Status.DISBANDED]} | ended,
    )
    return emc
