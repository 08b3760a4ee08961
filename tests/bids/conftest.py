"""A small EMC to put orders out from: lead ME L (led by `lead`) 50, node A 30, node B 20 in
seats and in contract v1 (CNY, fee 5%, partner P1 10%); a bidding ME D (led by `bidder`) and an
active partner P2 (with its partner user `firm`); an admin. Today is the real today."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from bids import services
from ledger import services as ledger_services
from orgs.models import EMC, EMCNode, EMCParticipation, PartnerUser
from tests.factories import EMCFactory, MicroenterpriseFactory, PartnerFactory, ScenarioFactory, UserFactory

START = dt.date(2024, 1, 1)


@dataclass
class Bidding:
    admin: object
    lead: object
    bidder: object
    firm: object
    lead_me: object
    node_a: object
    node_b: object
    me_d: object
    p1: object
    p2: object
    emc: EMC
    scenario: object
    contract: object


def bidding_build() -> Bidding:
    admin = UserFactory(username="ada", roles=["platform_admin"])
    lead = UserFactory(username="lena", roles=["me_leader"])
    bidder = UserFactory(username="dora", roles=["me_leader"])
    firm = UserFactory(username="firm", roles=["partner"])
    lead_me = MicroenterpriseFactory(code="l-me", name="Lead ME", leader=lead)
    node_a = MicroenterpriseFactory(code="a-me", name="Node A")
    node_b = MicroenterpriseFactory(code="b-me", name="Node B")
    me_d = MicroenterpriseFactory(code="d-me", name="Dryer ME", leader=bidder)
    scenario = ScenarioFactory(code="balcony", name="Smart balcony")
    emc = EMCFactory(code="balcony-emc", name="Balcony EMC", lead_me=lead_me, formed_on=START)
    emc.scenarios.add(scenario)
    for me, weight in ((lead_me, 50), (node_a, 30), (node_b, 20)):
        EMCNode.objects.create(emc=emc, me=me, share_weight=weight, joined_on=START)
    p1 = PartnerFactory(code="p1", name="First Partner")
    p2 = PartnerFactory(code="p2", name="Aurora Dryers")
    EMCParticipation.objects.create(emc=emc, partner=p1, started_on=START)
    PartnerUser.objects.create(user=firm, partner=p2)
    draft = ledger_services.contract_draft_create(
        actor=admin,
        emc=emc,
        effective_from=START,
        currency="CNY",
        period="month",
        platform_fee_pct=Decimal(5),
        target_minor=10_000_000,
        base_rate_pct=Decimal(10),
        partner_shares=[{"partner": p1, "share_pct": Decimal(10)}],
        node_shares=[
            {"me": lead_me, "share_pct": 50},
            {"me": node_a, "share_pct": 30},
            {"me": node_b, "share_pct": 20},
        ],
    )
    approver = UserFactory(username="bo", roles=["platform_admin"])  # four eyes on the version
    contract = ledger_services.contract_approve(actor=approver, contract=draft)
    return Bidding(admin, lead, bidder, firm, lead_me, node_a, node_b, me_d, p1, p2, emc, scenario, contract)


@pytest.fixture
def world(db):
    return bidding_build()


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def order_terms(world: Bidding, **overrides) -> dict:
    terms = {
        "emc": world.emc,
        "scenario": world.scenario,
        "title": "Quiet dryers for small balconies",
        "obligations": "Deliver and install 200 heat-pump dryers",
        "share_pct": "12.5",
        "target_amount": "50000.00",
        "currency": "CNY",
        "goal": "200 installations rated 4 stars or more",
        "deadline": days(7),
        "period_start": days(8),
        "period_end": days(98),
    }
    terms.update(overrides)
    return terms


@pytest.fixture
def order(world):
    return services.order_create(actor=world.lead, **order_terms(world))
