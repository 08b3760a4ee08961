"""Worked example 11 of docs/payouts.md: one holdback, the payout's (posting keeps none)."""

import datetime as dt
from decimal import Decimal

from ledger.models import Account, Leg
from payouts import services
from payouts.models import PayoutLine
from tests.ledger.factories import approved_contract, world_build
from tests.payouts.conftest import JUNE, payer


def test_11_the_holdback_is_kept_once_of_the_incentive_and_released_after_its_days(db):
    world = world_build(with_contract=False)
    approved_contract(
        world,
        effective_from=JUNE,
        target_minor=1_000_000,
        base_rate_pct=Decimal(10),
        floor_minor=0,
        cap_minor=None,
        holdback_pct=Decimal(10),
        holdback_days=30,
        tiers=[{"threshold_pct": 100, "rate_pct": 20}, {"threshold_pct": 150, "rate_pct": 30}],
    )
    payer(world)("8000.00", JUNE + dt.timedelta(days=2))
    # posting: 800,000 - fee 40,000 - partner 60,000 = 700,000, all to the nodes (60/40)
    credits = {
        leg.account.me_id: -leg.amount_minor
        for leg in Leg.objects.filter(account__kind=Account.Kind.ME).select_related("account")
    }
    assert credits == {world.lead_me.pk: 420_000, world.node_me.pk: 280_000}
    assert not Leg.objects.filter(account__kind=Account.Kind.EMC_HOLDBACK).exists()

    [rid] = services.payout_night_compute(run_date=JUNE)
    lines = {line.me_id: line for line in PayoutLine.objects.filter(report_id=rid, kind="me")}
    end = lines[world.lead_me.pk].report.period.end
    lead, node = lines[world.lead_me.pk], lines[world.node_me.pk]
    assert (lead.accrued_minor, lead.held_back_minor, lead.payable_minor) == (42_000, 4_200, 37_800)
    assert (node.accrued_minor, node.held_back_minor, node.payable_minor) == (28_000, 2_800, 25_200)
    assert lead.release_on == node.release_on == end + dt.timedelta(days=30)
    emc = PayoutLine.objects.get(report_id=rid, kind="emc")
    assert emc.explanation["holdback_posted_minor"] == 0
