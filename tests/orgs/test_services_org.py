"""ME and EMC lifecycles through the services: weights, splits, merges, dissolution, lineage."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from config.errors import ConflictError
from orgs import services
from orgs.models import EMC, AuditEntry, EMCNode, MEKind, MELineage, Membership, Microenterprise
from orgs.selectors import unassigned_people
from tests.factories import (
    EMCFactory,
    EMCNodeFactory,
    EMCParticipationFactory,
    MicroenterpriseFactory,
    UserFactory,
    me_with_members,
)

pytestmark = pytest.mark.django_db
D = dt.date(2025, 3, 1)


def open_weights(me):
    return {
        m.user.username: m.weight for m in me.memberships.filter(left_on__isnull=True).select_related("user")
    }


def test_create_an_me_with_members_and_activate_it(admin):
    a, b = UserFactory(), UserFactory()
    me = services.me_create(
        actor=admin,
        code="balcony-dry",
        name="Balcony drying",
        kind=MEKind.objects.get(code="incubating"),
        leader=a,
        members=[{"user": a, "weight": "60"}, {"user": b, "weight": 40}],
    )
    assert me.status == Microenterprise.Status.INCUBATING
    services.me_activate(me=me, actor=admin, reason="first users paid")
    me.refresh_from_db()
    assert me.status == Microenterprise.Status.ACTIVE
    assert open_weights(me) == {a.username: Decimal(60), b.username: Decimal(40)}
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "me.create",
        "me.activate",
    ]
    with pytest.raises(ConflictError):
        services.me_activate(me=me, actor=admin)


@pytest.mark.parametrize(
    ("weights", "fragment"),
    [
        ((60, 30), "sum to 90"),
        ((-20, 120), "negative"),
        (("50.00001", "49.99999"), "four decimals"),
        (("9999999999999999999999999", "0"), "at most 100"),
        (("1e400", "0"), "not a number"),
        (("1e2", "0"), "not a number"),
        ((50.0, 50.0), "not a number"),
    ],
)
def test_member_weights_that_do_not_fit_are_refused_and_nothing_changes(admin, weights, fragment):
    me, users = me_with_members(50, 50)
    with pytest.raises(ValidationError) as exc:
        services.me_members_set(
            me=me,
            actor=admin,
            members=[{"user": u, "weight": w} for u, w in zip(users, weights, strict=True)],
        )
    assert fragment in exc.value.error_dict["members"][0].messages[0]
    assert set(open_weights(me).values()) == {Decimal(50)}
    assert not AuditEntry.objects.exists()


def test_setting_members_keeps_history_of_leavers_and_weight_changes(admin):
    me, (a, b) = me_with_members(50, 50)
    c = UserFactory()
    services.me_members_set(
        me=me,
        actor=admin,
        on=D,
        reason="c joins, b leaves",
        members=[{"user": a, "weight": 70}, {"user": c, "weight": 30}],
    )
    assert open_weights(me) == {a.username: 70, c.username: 30}
    assert Membership.objects.get(me=me, user=b).left_on == D
    assert Membership.objects.get(me=me, user=a, left_on=D).weight == 50  # the old weight stays on record
    entry = AuditEntry.objects.get(action="me.members_set")
    assert entry.changes["members"]["before"] == {a.username: "50.0000", b.username: "50.0000"}
    assert entry.reason == "c joins, b leaves"


def test_two_member_changes_on_one_day_chain_in_the_audit_trail(admin):
    """The second change of a day updates the first's rows in place; its "before" is still what
    the ME had (the first change's "after"), not the new weights."""
    me, (a, b) = me_with_members(50, 50)
    services.me_members_set(me=me, actor=admin, on=D, members=[{"user": a, "weight": 100}])
    c = UserFactory()
    services.me_members_set(
        me=me,
        actor=admin,
        on=D,
        members=[{"user": a, "weight": 40}, {"user": b, "weight": 35}, {"user": c, "weight": 25}],
    )
    first, second = AuditEntry.objects.filter(action="me.members_set").order_by("id")

    def weights(row):
        return {user: Decimal(w) for user, w in row.items()}

    assert weights(first.changes["members"]["after"]) == {a.username: 100}
    assert weights(second.changes["members"]["before"]) == weights(first.changes["members"]["after"])


def test_a_split_assigns_every_member_and_keeps_lineage(admin):
    me, (a, b, c) = me_with_members(40, 30, 30)
    emc = EMCFactory(lead_me=me)
    EMCNodeFactory(emc=emc, me=me, share_weight=100)
    left, right = services.me_split(
        me=me,
        actor=admin,
        on=D,
        reason="users segment",
        children=[
            {"code": "left", "name": "Left", "members": [{"user": a, "weight": 100}]},
            {
                "code": "right",
                "name": "Right",
                "members": [{"user": b, "weight": 50}, {"user": c, "weight": 50}],
            },
        ],
    )
    me.refresh_from_db()
    assert (me.status, me.ended_on) == (Microenterprise.Status.SPLIT, D)
    assert open_weights(me) == {}
    assert open_weights(right) == {b.username: 50, c.username: 50}
    assert set(MELineage.objects.values_list("parent__code", "child__code", "event")) == {
        (me.code, "left", "split"),
        (me.code, "right", "split"),
    }
    # the EMC keeps a full set of weights: the first child took the seat and the lead
    emc.refresh_from_db()
    assert emc.lead_me == left
    assert list(
        EMCNode.objects.filter(emc=emc, left_on__isnull=True).values_list("me__code", "share_weight")
    ) == [("left", 100)]


def test_a_split_that_leaves_members_unassigned_names_them_and_writes_nothing(admin):
    me, (a, b) = me_with_members(50, 50, code="parent")
    with pytest.raises(ValidationError) as exc:
        services.me_split(
            me=me,
            actor=admin,
            reason="x",
            children=[
                {"code": "one", "members": [{"user": a, "weight": 100}]},
                {"code": "two", "members": []},
            ],
        )
    assert b.username in exc.value.error_dict["members"][0].messages[0]
    assert list(Microenterprise.objects.values_list("code", flat=True)) == ["parent"]
    assert Microenterprise.objects.get().status == Microenterprise.Status.ACTIVE


def test_a_split_with_a_taken_code_is_a_conflict(admin):
    MicroenterpriseFactory(code="taken")
    me, (a,) = me_with_members(100)
    with pytest.raises(ConflictError):
        services.me_split(
            me=me,
            actor=admin,
            reason="x",
            children=[
                {"code": "taken", "members": [{"user": a, "weight": 100}]},
                {"code": "free", "members": []},
            ],
        )


def test_a_merge_carries_members_and_renormalises_weights(admin):
    one, (a, b) = me_with_members(50, 50)
    two, (c,) = me_with_members(100)
    merged = services.me_merge(
        parents=[one, two], actor=admin, code="merged", name="Merged", reason="same users", on=D
    )
    weights = open_weights(merged)
    assert weights == {a.username: 25, b.username: 25, c.username: 50}
    assert sum(weights.values()) == 100
    assert set(
        Microenterprise.objects.filter(code__in=[one.code, two.code]).values_list("status", flat=True)
    ) == {"merged"}
    assert MELineage.objects.filter(child=merged, event="merge").count() == 2


def test_merge_weights_renormalise_to_exactly_100_with_remainders():
    from orgs.services._common import normalise

    result = normalise({1: Decimal(1), 2: Decimal(1), 3: Decimal(1)})
    assert sum(result.values()) == 100
    assert result[1] == Decimal("33.3334")


def test_a_merge_with_given_weights_must_carry_everyone(admin):
    one, (a,) = me_with_members(100)
    two, (b,) = me_with_members(100)
    with pytest.raises(ValidationError) as exc:
        services.me_merge(
            parents=[one, two],
            actor=admin,
            code="m",
            name="M",
            reason="x",
            members=[{"user": a, "weight": 100}],
        )
    assert b.username in exc.value.error_dict["members"][0].messages[0]
    assert not Microenterprise.objects.filter(code="m").exists()


def test_dissolving_returns_people_to_the_unassigned_pool(admin):
    a = UserFactory(roles=["me_member"])
    me = MicroenterpriseFactory()
    services.me_members_set(me=me, actor=admin, members=[{"user": a, "weight": 100}], on=dt.date(2024, 1, 1))
    assert a not in unassigned_people()
    services.me_dissolve(me=me, actor=admin, reason="no users", on=D)
    me.refresh_from_db()
    assert me.status == Microenterprise.Status.DISSOLVED
    assert a in unassigned_people()
    assert Membership.objects.filter(me=me).count() == 1  # nothing deleted


def test_dissolving_an_me_still_in_an_emc_is_refused(admin):
    me = MicroenterpriseFactory()
    EMCNodeFactory(me=me)
    with pytest.raises(ConflictError):
        services.me_dissolve(me=me, actor=admin, reason="x")


def test_emc_nodes_must_sum_to_100(admin):
    lead, other = MicroenterpriseFactory(), MicroenterpriseFactory()
    emc = services.emc_create(
        actor=admin, code="balcony", name="Smart balcony", kind="experience", lead_me=lead
    )
    assert list(emc.nodes.values_list("me__code", "share_weight")) == [(lead.code, 100)]
    with pytest.raises(ValidationError) as exc:
        services.emc_nodes_set(
            emc=emc, actor=admin, nodes=[{"me": lead, "share_weight": 70}, {"me": other, "share_weight": 20}]
        )
    assert "sum to 90" in exc.value.error_dict["nodes"][0].messages[0]
    services.emc_nodes_set(
        emc=emc,
        actor=admin,
        nodes=[
            {"me": lead, "share_weight": 70, "obligations": "lead"},
            {"me": other, "share_weight": 30, "obligations": "logistics"},
        ],
    )
    assert emc.nodes.filter(left_on__isnull=True).count() == 2


def test_duplicate_emc_code_is_a_conflict(admin):
    EMCFactory(code="dup")
    with pytest.raises(ConflictError):
        services.emc_create(
            actor=admin, code="dup", name="x", kind="solution", lead_me=MicroenterpriseFactory()
        )


def test_partners_join_and_leave_an_emc_with_dates(admin):
    emc = EMCFactory()
    participation = EMCParticipationFactory.build(emc=emc)
    partner = participation.partner
    partner.save()
    services.emc_partner_join(emc=emc, partner=partner, actor=admin, on=D)
    with pytest.raises(ConflictError):
        services.emc_partner_join(emc=emc, partner=partner, actor=admin, on=D)
    services.emc_partner_leave(
        emc=emc, partner=partner, actor=admin, reason="contract over", on=dt.date(2025, 4, 1)
    )
    assert list(emc.participations.values_list("started_on", "ended_on")) == [(D, dt.date(2025, 4, 1))]


def test_splitting_an_emc_ends_the_parent_and_keeps_history(admin):
    emc = EMCFactory()
    EMCNodeFactory(emc=emc, me=emc.lead_me)
    partner = EMCParticipationFactory(emc=emc).partner
    other = MicroenterpriseFactory()
    kids = services.emc_split(
        emc=emc,
        actor=admin,
        reason="users segment",
        on=D,
        children=[
            {"code": "a", "name": "A", "lead_me": emc.lead_me, "partners": [partner]},
            {"code": "b", "name": "B", "lead_me": other},
        ],
    )
    emc.refresh_from_db()
    assert emc.status == EMC.Status.SPLIT and emc.ended_on == D
    assert {k.split_from_id for k in kids} == {emc.pk}
    assert not emc.nodes.filter(left_on__isnull=True).exists()
    assert kids[0].participations.get().partner == partner


def test_disbanding_an_emc_ends_nodes_and_participations(admin):
    emc = EMCFactory()
    EMCNodeFactory(emc=emc, me=emc.lead_me)
    EMCParticipationFactory(emc=emc)
    services.emc_disband(emc=emc, actor=admin, reason="users moved on", on=D)
    assert set(emc.nodes.values_list("left_on", flat=True)) == {D}
    assert set(emc.participations.values_list("ended_on", flat=True)) == {D}
    with pytest.raises(ConflictError):
        services.emc_disband(emc=emc, actor=admin, reason="again")
