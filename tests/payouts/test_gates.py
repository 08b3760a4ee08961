"""Tiers gated by VAM vertical goals (worked example 12 through the ledger and scoring's
snapshots), and the refusals of a gate: wrong axis, unknown metric, missing goal, approved."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from config.errors import ConflictError
from ledger import services as ledger_services
from ledger.contract_terms import tier_gates_validate
from orgs.audit import audit_for
from payouts import exports, services
from payouts.models import PayoutLine, PayoutReport, TierGate
from payouts.services.gates import tier_gates_set
from scoring.models import NightlyRun, Snapshot
from tests.factories import UserFactory
from tests.ledger.factories import contract_terms, world_build
from tests.payouts.conftest import JUNE, payer

GOALS = [
    {"axis": "horizontal", "metric": "user_paid_value", "target": "1000000", "unit": "CNY"},
    {"axis": "vertical", "metric": "lifelong_users", "target": "50", "unit": "users"},
]


@pytest.fixture
def draft(db):
    world = world_build(with_contract=False)
    draft = ledger_services.contract_draft_create(
        actor=world.admin,
        **contract_terms(
            world,
            effective_from=JUNE,
            target_minor=1_000_000,
            base_rate_pct=Decimal(10),
            floor_minor=0,
            cap_minor=None,
            holdback_pct=Decimal(0),
            holdback_days=0,
            tiers=[{"threshold_pct": 100, "rate_pct": 20}, {"threshold_pct": 150, "rate_pct": 30}],
            goals=GOALS,
        ),
    )
    draft.world = world
    return draft


def scored(emc, day, figure):
    run = NightlyRun.objects.create(run_date=day, status=NightlyRun.Status.DONE)
    Snapshot.objects.create(
        run=run, day=day, metric="lifelong_users", subject_kind="emc", subject_id=emc.pk, value=figure
    )


def lead_line(world) -> PayoutLine:
    [rid] = services.payout_night_compute(run_date=JUNE)
    return PayoutLine.objects.get(report_id=rid, key=f"me:{world.emc.pk}:{world.lead_me.pk}")


def gated_world(draft):
    world = draft.world
    tier_gates_set(
        actor=world.admin, contract=draft, gates=[{"threshold_pct": "150", "metric": "lifelong_users"}]
    )
    ledger_services.contract_approve(actor=UserFactory(roles=["platform_admin"]), contract=draft)
    # 20,000.00 without partner: EMC 2,000,000; fee 5%, the lead ME's 60% of 1,900,000 = 1,140,000
    payer(world)("20000.00", JUNE + dt.timedelta(days=4), partners=[])
    return world


def test_12_a_goal_not_met_gates_the_tier_and_the_line_says_so(draft):
    world = gated_world(draft)
    scored(world.emc, JUNE + dt.timedelta(days=2), Decimal(60))  # an earlier night: not the last
    scored(world.emc, JUNE + dt.timedelta(days=9), Decimal(42))
    line = lead_line(world)
    # the last scored night (day 10) says 42 < 50: [1,500,000, 2,000,000] at 20%, 15% on average
    assert line.accrued_minor == 171_000  # 1,140,000 x 15%
    [gate] = line.explanation["gates"]
    assert (gate["tier"], gate["metric"], gate["figure"], gate["target"], gate["met"]) == (
        "tier 150%",
        "lifelong_users",
        "42",
        "50",
        False,
    )
    assert gate["night"] == (JUNE + dt.timedelta(days=9)).isoformat()
    assert line.goal == "tier 150%: lifelong_users 42 < 50"
    bands = {b["band"]: (b["value_minor"], b["rate_pct"]) for b in line.explanation["bands"]}
    assert bands["tier 150% (goal not met)"] == (285_000, "20")  # a quarter of 1,140,000
    report = PayoutReport.objects.get(pk=line.report_id)
    pdf_lines = exports.statement_lines(report, me_id=world.lead_me.pk)
    assert "lifelong_users 42 below its goal 50" in " ".join(exports._explained(pdf_lines[0]))


def test_a_goal_met_keeps_the_tier(draft):
    world = gated_world(draft)
    scored(world.emc, JUNE + dt.timedelta(days=9), Decimal(55))
    line = lead_line(world)
    assert line.accrued_minor == 199_500  # 1,140,000 x 17.5%
    assert line.explanation["gates"][0]["met"] is True and line.goal == ""


def test_no_scored_night_in_the_period_means_the_goal_is_not_met(draft):
    world = gated_world(draft)
    scored(world.emc, JUNE - dt.timedelta(days=1), Decimal(500))  # before the period: not counted
    line = lead_line(world)
    assert line.accrued_minor == 171_000 and line.explanation["gates"][0]["figure"] is None


@pytest.mark.parametrize(
    ("gate", "message"),
    [
        ({"threshold_pct": "150", "metric": "user_paid_value"}, "only a vertical goal gates a tier"),
        ({"threshold_pct": "150", "metric": "headcount"}, "is not a VAM goal metric"),
        ({"threshold_pct": "150", "metric": "ecosystem_revenue"}, "has no Ecosystem revenue goal"),
        ({"threshold_pct": "120", "metric": "lifelong_users"}, "is not a tier threshold"),
    ],
)
def test_a_bad_gate_is_refused_with_a_field_error_and_nothing_written(draft, gate, message):
    with pytest.raises(ValidationError) as refused:
        tier_gates_set(actor=draft.world.admin, contract=draft, gates=[gate])
    assert message in " ".join(refused.value.message_dict["gates"])
    assert not TierGate.objects.exists()


def test_gating_a_tier_twice_is_refused(draft):
    gate = {"threshold_pct": "150", "metric": "lifelong_users"}
    with pytest.raises(ValidationError, match="gated twice"):
        tier_gates_validate(contract=draft, gates=[gate, gate])


def test_an_approved_version_takes_no_gate_and_only_admins_set_them(draft):
    gate = [{"threshold_pct": "150", "metric": "lifelong_users"}]
    with pytest.raises(PermissionDenied):
        tier_gates_set(actor=UserFactory(roles=["finance"]), contract=draft, gates=gate)
    tier_gates_set(actor=draft.world.admin, contract=draft, gates=gate)
    assert audit_for(draft).filter(action="payouts.tier_gates_set").count() == 1
    ledger_services.contract_approve(actor=UserFactory(roles=["platform_admin"]), contract=draft)
    with pytest.raises(ConflictError, match="Only a draft"):
        tier_gates_set(actor=draft.world.admin, contract=draft, gates=[])
    assert TierGate.objects.count() == 1


def test_the_api_sets_gates_with_field_errors_for_bad_ones(draft):
    from rest_framework.test import APIClient

    admin = APIClient()
    admin.force_authenticate(draft.world.admin)
    url = f"/api/payouts/contracts/{draft.pk}/tier-gates/"
    bad = admin.post(url, {"gates": [{"threshold_pct": "150", "metric": "profit"}]}, format="json")
    assert bad.status_code == 400 and "gates" in bad.json()["errors"]
    garbled = admin.post(url, {"gates": [{"threshold_pct": "x", "metric": "lifelong_users"}]}, format="json")
    assert garbled.status_code == 400
    assert not TierGate.objects.exists()
    ok = admin.post(url, {"gates": [{"threshold_pct": "150", "metric": "lifelong_users"}]}, format="json")
    assert ok.status_code == 200 and ok.json() == {
        "gates": [{"threshold_pct": "150", "metric": "lifelong_users"}]
    }
    assert admin.get(url).json() == ok.json()
    finance = APIClient()
    finance.force_authenticate(UserFactory(roles=["finance"]))
    assert finance.post(url, {"gates": []}, format="json").status_code == 403
    assert admin.get("/api/payouts/contracts/999999/tier-gates/").status_code == 404


def test_a_what_if_with_a_draft_uses_the_drafts_own_gates(draft):
    world = gated_world(draft)
    scored(world.emc, JUNE + dt.timedelta(days=9), Decimal(42))
    line = lead_line(world)
    assert line.accrued_minor == 171_000
    ungated = ledger_services.contract_draft_create(
        actor=world.admin,
        **contract_terms(
            world,
            effective_from=JUNE + dt.timedelta(days=20),
            target_minor=1_000_000,
            base_rate_pct=Decimal(10),
            floor_minor=0,
            cap_minor=None,
            tiers=[{"threshold_pct": 100, "rate_pct": 20}, {"threshold_pct": 150, "rate_pct": 30}],
            goals=GOALS,
        ),
    )
    finance = UserFactory(roles=["finance"])
    report = PayoutReport.objects.get(pk=line.report_id)
    answer = services.payout_what_if(actor=finance, report=report, emc=world.emc, contract=ungated)
    lead = next(m for m in answer["mes"] if m["me"] == world.lead_me.pk)
    assert lead["what_if_minor"] == 199_500  # no gate on the draft: 17.5% of 1,140,000
