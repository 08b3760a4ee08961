"""Microenterprise writes: create, activate, members and weights, split, merge, dissolve.

Each service owns its transaction, locks the rows it changes, and writes the audit row in the
same transaction, so a refused request leaves nothing behind.
"""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from config.errors import ConflictError
from orgs.audit import audit_record
from orgs.codes import check_code_not_reserved
from orgs.models import EMC, EMCNode, MEKind, MELineage, Membership, Microenterprise
from orgs.services._common import (
    as_weight,
    check_me_people,
    check_weight_total,
    normalise,
    require_reason,
    today,
)

Status = Microenterprise.Status


def _check_code_free(code: str, *, field: str = "code") -> None:
    if not code:
        raise ValidationError({field: _("A code is required.")})
    check_code_not_reserved(code, field=field)
    if Microenterprise.objects.filter(code=code).exists():
        raise ConflictError({field: _("An ME with code “%(code)s” already exists.") % {"code": code}})


def _lock(me: Microenterprise) -> Microenterprise:
    return Microenterprise.objects.select_for_update().get(pk=me.pk)


def _check_live(me: Microenterprise, *, field: str = "status") -> None:
    if not me.is_live:
        raise ConflictError(
            {
                field: _("ME %(code)s is %(status)s; only incubating or active MEs can change.")
                % {"code": me.code, "status": me.get_status_display()}
            }
        )


def _parse_members(members: Sequence[dict], *, field: str = "members") -> dict:
    """Return {user: weight} from [{"user": User, "weight": ...}], refusing duplicates and bad weights."""
    parsed = {}
    for row in members:
        user = row["user"]
        if user in parsed:
            raise ValidationError({field: _("%(user)s is listed twice.") % {"user": user.get_username()}})
        parsed[user] = as_weight(row["weight"], field=field)
    check_weight_total(parsed.values(), field=field)
    check_me_people(parsed, field=field)
    return parsed


def _member_changes(before: dict, after: dict) -> dict:
    return {
        "members": {
            "before": {u.get_username(): str(w) for u, w in before.items()},
            "after": {u.get_username(): str(w) for u, w in after.items()},
        }
    }


def _open_members(me: Microenterprise) -> dict:
    rows = me.memberships.filter(left_on__isnull=True).select_related("user")
    return {m.user: m for m in rows}


def _apply_members(me: Microenterprise, wanted: dict, *, on: dt.date) -> dict:
    """Make the ME's open memberships equal `wanted` ({user: weight}) from `on`, keeping history:
    a removed member's membership ends on `on`; a changed weight ends the old row and opens a new
    one (the same day: updated in place). Return the previous {user: weight}."""
    current = _open_members(me)
    for membership in current.values():
        if on < membership.joined_on:
            raise ValidationError(
                {
                    "on": _("%(user)s joined on %(joined)s; changes cannot take effect earlier.")
                    % {"user": membership.user.get_username(), "joined": membership.joined_on}
                }
            )
    before = {user: m.weight for user, m in current.items()}  # before a same-day update below
    to_close, to_update, to_create = [], [], []
    for user, membership in current.items():
        weight = wanted.get(user)
        if weight is None:
            to_close.append(membership.pk)
        elif weight != membership.weight:
            if membership.joined_on == on:
                membership.weight = weight
                to_update.append(membership)
            else:
                to_close.append(membership.pk)
                to_create.append(Membership(me=me, user=user, weight=weight, joined_on=on))
    for user, weight in wanted.items():
        if user not in current:
            to_create.append(Membership(me=me, user=user, weight=weight, joined_on=on))
    Membership.objects.filter(pk__in=to_close, left_on__isnull=True).update(left_on=on)
    Membership.objects.bulk_update(to_update, ["weight"])
    Membership.objects.bulk_create(to_create)
    return before


@transaction.atomic
def me_create(
    *,
    actor,
    code: str,
    name: str,
    kind: MEKind,
    leader=None,
    founded_on: dt.date | None = None,
    members: Sequence[dict] = (),
    reason: str = "",
) -> Microenterprise:
    """Create an incubating ME, optionally with its first members (weights summing to 100)."""
    if not (name or "").strip():
        raise ValidationError({"name": _("A name is required.")})
    _check_code_free(code)
    check_me_people([leader], field="leader")

    if founded_on is not None and founded_on > today():
        raise ValidationError({"founded_on": _("An ME cannot be founded in the future.")})
    wanted = _parse_members(members)
    me = Microenterprise.objects.create(
        code=code, name=name.strip(), kind=kind, leader=leader, founded_on=founded_on or today()
    )
    _apply_members(me, wanted, on=me.founded_on)
    audit_record(
        actor=actor,
        action="me.create",
        target=me,
        changes={"kind": kind.code, "leader": leader.get_username() if leader else None}
        | _member_changes({}, wanted),
        reason=reason,
    )
    return me


@transaction.atomic
def me_update(
    *,
    me: Microenterprise,
    actor,
    name: str | None = None,
    kind: MEKind | None = None,
    leader=...,
    reason: str = "",
) -> Microenterprise:
    """Change an ME's name, kind or leader (pass leader=None to clear it)."""
    me = _lock(me)
    _check_live(me)
    changes = {}
    if name is not None and name.strip() and name.strip() != me.name:
        changes["name"] = [me.name, name.strip()]
        me.name = name.strip()
    if kind is not None and kind.pk != me.kind_id:
        changes["kind"] = [me.kind.code, kind.code]
        me.kind = kind
    if leader is not ... and (leader.pk if leader else None) != me.leader_id:
        check_me_people([leader], field="leader")
        changes["leader"] = [
            me.leader.get_username() if me.leader else None,
            leader.get_username() if leader else None,
        ]
        me.leader = leader
    if changes:
        me.save(update_fields=["name", "kind", "leader"])
        audit_record(actor=actor, action="me.update", target=me, changes=changes, reason=reason)
    return me


@transaction.atomic
def me_activate(*, me: Microenterprise, actor, reason: str = "") -> Microenterprise:
    """Move an incubating ME to active."""
    me = _lock(me)
    if me.status != Status.INCUBATING:
        raise ConflictError(
            {
                "status": _("Only an incubating ME can be activated; %(code)s is %(status)s.")
                % {"code": me.code, "status": me.get_status_display()}
            }
        )
    me.status = Status.ACTIVE
    me.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="me.activate",
        target=me,
        changes={"status": [Status.INCUBATING, Status.ACTIVE]},
        reason=reason,
    )
    return me


def _check_keeps_leader(me: Microenterprise, wanted: dict) -> None:
    """An active ME is never emptied: a new member set keeps at least one member, and keeps the
    leader when the leader is a member (change the leader first to let them go)."""
    if me.status != Status.ACTIVE:
        return
    leader_is_member = (
        me.leader_id is not None
        and me.memberships.filter(user_id=me.leader_id, left_on__isnull=True).exists()
    )
    if leader_is_member and all(user.pk != me.leader_id for user in wanted):
        raise ValidationError(
            {
                "members": _(
                    "An active ME keeps its leader (%(leader)s) among its members; change the leader first."
                )
                % {"leader": me.leader.get_username()}
            }
        )
    if not wanted:
        raise ValidationError({"members": _("An active ME keeps at least one member.")})


@transaction.atomic
def me_members_set(
    *, me: Microenterprise, actor, members: Sequence[dict], on: dt.date | None = None, reason: str = ""
) -> Microenterprise:
    """Replace the ME's open members and weights with `members` (the whole set, summing to 100).

    Who may call it (the ME's leader or a platform admin) is checked by the interface with
    the `orgs.manage_me_members` rule on this ME.
    """
    me = _lock(me)
    _check_live(me)
    wanted = _parse_members(members)
    _check_keeps_leader(me, wanted)
    before = _apply_members(me, wanted, on=on or today())
    if before != wanted:
        audit_record(
            actor=actor,
            action="me.members_set",
            target=me,
            changes=_member_changes(before, wanted),
            reason=reason,
        )
    return me


def _transfer_emc_seats(
    *, from_mes: Sequence[Microenterprise], to_me: Microenterprise, on: dt.date
) -> list[str]:
    """Hand the open EMC seats and EMC leadership of `from_mes` to `to_me` (weights summed per
    EMC, so every EMC's node weights still total 100). Return the codes of the EMCs touched."""
    from_ids = [m.pk for m in from_mes]
    seats = list(EMCNode.objects.filter(me_id__in=from_ids, left_on__isnull=True).select_related("emc"))
    by_emc: dict[int, list[EMCNode]] = {}
    for seat in seats:
        by_emc.setdefault(seat.emc_id, []).append(seat)
    EMCNode.objects.filter(pk__in=[s.pk for s in seats], left_on__isnull=True).update(left_on=on)
    EMCNode.objects.bulk_create(
        EMCNode(
            emc_id=emc_id,
            me=to_me,
            share_weight=sum((s.share_weight for s in group), Decimal(0)),
            obligations="\n".join(s.obligations for s in group if s.obligations),
            joined_on=on,
        )
        for emc_id, group in by_emc.items()
    )
    led = EMC.objects.filter(lead_me_id__in=from_ids, status=EMC.Status.ACTIVE)
    codes = sorted({s.emc.code for s in seats} | set(led.values_list("code", flat=True)))
    led.update(lead_me=to_me)
    return codes


@transaction.atomic
def me_split(
    *,
    me: Microenterprise,
    actor,
    children: Sequence[dict],
    reason: str,
    on: dt.date | None = None,
    successor: str | None = None,
) -> list[Microenterprise]:
    """Split a live ME into new MEs; every open member must go to exactly one child.

    `children`: [{"code", "name", "kind"?, "leader"?, "members": [{"user", "weight"}]}].
    The parent ends with status split; each child gets a lineage row; the parent's EMC seats
    and EMC leadership pass to the child whose code is `successor` (default: the first).
    """
    reason = require_reason(reason)
    on = on or today()
    me = _lock(me)
    _check_live(me)
    if len(children) < 2:
        raise ValidationError({"children": _("A split needs at least two new MEs.")})
    codes = [c.get("code") for c in children]
    if len(set(codes)) != len(codes):
        raise ValidationError({"children": _("The new MEs need distinct codes.")})
    for code in codes:
        _check_code_free(code, field="children")
    parent_members = set(_open_members(me))
    assigned: dict = {}
    plans = []
    for child in children:
        check_me_people([child.get("leader")], field="leader")
        wanted = _parse_members(child.get("members", ()), field="members")
        for user in wanted:
            if user not in parent_members:
                raise ValidationError(
                    {
                        "members": _("%(user)s is not a member of %(code)s.")
                        % {"user": user.get_username(), "code": me.code}
                    }
                )
            if user in assigned:
                raise ValidationError(
                    {
                        "members": _("%(user)s is assigned to both %(a)s and %(b)s.")
                        % {"user": user.get_username(), "a": assigned[user], "b": child["code"]}
                    }
                )
            assigned[user] = child["code"]
        plans.append((child, wanted))
    unassigned = sorted(u.get_username() for u in parent_members - set(assigned))
    if unassigned:
        raise ValidationError(
            {
                "members": _("Every member must go to one new ME; unassigned: %(names)s.")
                % {"names": ", ".join(unassigned)}
            }
        )
    if successor is not None and successor not in codes:
        raise ValidationError({"successor": _("The successor must be one of the new MEs.")})

    new_mes = []
    for child, wanted in plans:
        new = Microenterprise.objects.create(
            code=child["code"],
            name=(child.get("name") or child["code"]).strip(),
            kind=child.get("kind") or me.kind,
            leader=child.get("leader"),
            status=me.status,
            founded_on=on,
        )
        _apply_members(new, wanted, on=on)
        new_mes.append(new)
    before = _apply_members(me, {}, on=on)
    MELineage.objects.bulk_create(
        MELineage(parent=me, child=c, event=MELineage.Event.SPLIT, on=on) for c in new_mes
    )
    heir = next(c for c in new_mes if c.code == (successor or codes[0]))
    emcs = _transfer_emc_seats(from_mes=[me], to_me=heir, on=on)
    old_status = me.status
    me.status, me.ended_on = Status.SPLIT, on
    me.save(update_fields=["status", "ended_on"])
    audit_record(
        actor=actor,
        action="me.split",
        target=me,
        reason=reason,
        changes={"status": [old_status, Status.SPLIT], "into": codes, "emc_seats_to": heir.code, "emcs": emcs}
        | _member_changes(before, {}),
    )
    for child, (_spec, wanted) in zip(new_mes, plans, strict=True):
        audit_record(
            actor=actor,
            action="me.create",
            target=child,
            reason=reason,
            changes={"split_from": me.code} | _member_changes({}, wanted),
        )
    return new_mes


@transaction.atomic
def me_merge(
    *,
    parents: Sequence[Microenterprise],
    actor,
    code: str,
    name: str,
    reason: str,
    kind: MEKind | None = None,
    leader=None,
    members: Sequence[dict] | None = None,
    on: dt.date | None = None,
) -> Microenterprise:
    """Merge live MEs into one new ME carrying all their open members.

    Weights are given in `members` (which must list exactly the parents' members) or, when
    omitted, re-normalised from the parents' weights to sum to 100. The parents end with status
    merged; their EMC seats and EMC leadership pass to the new ME.
    """
    reason = require_reason(reason)
    on = on or today()
    if len({p.pk for p in parents}) < 2:
        raise ValidationError({"parents": _("A merge needs at least two different MEs.")})
    check_me_people([leader], field="leader")
    locked = list(
        Microenterprise.objects.select_for_update().filter(pk__in=[p.pk for p in parents]).order_by("pk")
    )
    for parent in locked:
        _check_live(parent, field="parents")
    _check_code_free(code)
    carried: dict = {}
    for parent in locked:
        for user, membership in _open_members(parent).items():
            carried[user] = carried.get(user, Decimal(0)) + membership.weight
    if members is None:
        by_id = {u.pk: u for u in carried}
        wanted = {by_id[pk]: w for pk, w in normalise({u.pk: w for u, w in carried.items()}).items()}
    else:
        wanted = _parse_members(members)
        missing = sorted(u.get_username() for u in set(carried) - set(wanted))
        extra = sorted(u.get_username() for u in set(wanted) - set(carried))
        if missing:
            raise ValidationError(
                {
                    "members": _("Every member of the merged MEs must be carried over; missing: %(names)s.")
                    % {"names": ", ".join(missing)}
                }
            )
        if extra:
            raise ValidationError(
                {"members": _("Not members of the merged MEs: %(names)s.") % {"names": ", ".join(extra)}}
            )
    first = locked[0]
    child = Microenterprise.objects.create(
        code=code,
        name=(name or code).strip(),
        kind=kind or first.kind,
        leader=leader,
        status=Status.ACTIVE if any(p.status == Status.ACTIVE for p in locked) else Status.INCUBATING,
        founded_on=on,
    )
    for parent in locked:
        before = _apply_members(parent, {}, on=on)
        old_status = parent.status
        parent.status, parent.ended_on = Status.MERGED, on
        parent.save(update_fields=["status", "ended_on"])
        audit_record(
            actor=actor,
            action="me.merge",
            target=parent,
            reason=reason,
            changes={"status": [old_status, Status.MERGED], "into": code} | _member_changes(before, {}),
        )
    _apply_members(child, wanted, on=on)
    MELineage.objects.bulk_create(
        MELineage(parent=p, child=child, event=MELineage.Event.MERGE, on=on) for p in locked
    )
    emcs = _transfer_emc_seats(from_mes=locked, to_me=child, on=on)
    audit_record(
        actor=actor,
        action="me.create",
        target=child,
        reason=reason,
        changes={"merged_from": [p.code for p in locked], "emcs": emcs} | _member_changes({}, wanted),
    )
    return child


@transaction.atomic
def me_dissolve(*, me: Microenterprise, actor, reason: str, on: dt.date | None = None) -> Microenterprise:
    """Dissolve a live ME: its memberships end and its people return to the unassigned pool.

    Refused while the ME still holds an EMC seat or leads an active EMC (the EMC's weights and
    lead must be settled first).
    """
    reason = require_reason(reason)
    on = on or today()
    me = _lock(me)
    _check_live(me)
    seats = sorted(EMCNode.objects.filter(me=me, left_on__isnull=True).values_list("emc__code", flat=True))
    led = sorted(EMC.objects.filter(lead_me=me, status=EMC.Status.ACTIVE).values_list("code", flat=True))
    if seats or led:
        raise ConflictError(
            {
                "status": _(
                    "%(code)s still takes part in EMCs (%(emcs)s); change their nodes and lead first."
                )
                % {"code": me.code, "emcs": ", ".join(sorted(set(seats) | set(led)))}
            }
        )
    before = _apply_members(me, {}, on=on)
    old_status = me.status
    me.status, me.ended_on = Status.DISSOLVED, on
    me.save(update_fields=["status", "ended_on"])
    audit_record(
        actor=actor,
        action="me.dissolve",
        target=me,
        reason=reason,
        changes={"status": [old_status, Status.DISSOLVED]} | _member_changes(before, {}),
    )
    return me
