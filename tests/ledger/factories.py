"""Ledger factories: a small world (EMC, two node MEs, scenario, solution, partner) and an
approved contract, built through the services so tests exercise the real validation."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ledger import services
from orgs import models as org
from tests.factories import (
    CategoryFactory,
    EMCFactory,
    MicroenterpriseFactory,
    PartnerFactory,
    ScenarioFactory,
    SolutionFactory,
    UserFactory,
)

START = dt.date(2024, 1, 1)


@dataclass
class World:
    leader: object
    admin: object
    lead_me: org.Microenterprise
    node_me: org.Microenterprise
    emc: org.EMC
    scenario: org.Scenario
    solution: org.Solution
    category: org.Category
    partner: org.Partner
    contract: object = None


def contract_terms(world: World, **overrides) -> dict:
    terms = {
        "emc": world.emc,
        "effective_from": START,
        "currency": "CNY",
        "period": "month",
        "platform_fee_pct": Decimal("5"),
        "target_minor": 10_000_000,
        "base_rate_pct": Decimal("10"),
        "floor_minor": 1_000_000,
        "cap_minor": 50_000_000,
        "holdback_pct": Decimal("10"),
        "holdback_days": 30,
        "tiers": [{"threshold_pct": 100, "rate_pct": "10"}, {"threshold_pct": 120, "rate_pct": "15"}],
        "partner_shares": [{"partner": world.partner, "share_pct": Decimal("7.5")}],
        "node_shares": [{"me": world.lead_me, "share_pct": 60}, {"me": world.node_me, "share_pct": 40}],
        "goals": [{"axis": "horizontal", "metric": "user_paid_value", "target": "100000", "unit": "CNY"}],
    }
    terms.update(overrides)
    return terms


def approved_contract(world: World, **overrides):
    draft = services.contract_draft_create(actor=world.admin, **contract_terms(world, **overrides))
    # four eyes: another admin approves the version world.admin drafted
    return services.contract_approve(actor=UserFactory(roles=["platform_admin"]), contract=draft)


def world_build(*, with_contract: bool = True) -> World:
    leader = UserFactory(roles=["me_leader"])
    admin = UserFactory(roles=["platform_admin"])
    lead_me = MicroenterpriseFactory(leader=leader)
    node_me = MicroenterpriseFactory()
    emc = EMCFactory(lead_me=lead_me, formed_on=START)
    org.EMCNode.objects.create(emc=emc, me=lead_me, share_weight=60, joined_on=START)
    org.EMCNode.objects.create(emc=emc, me=node_me, share_weight=40, joined_on=START)
    scenario = ScenarioFactory()
    emc.scenarios.add(scenario)
    solution = SolutionFactory(scenario=scenario)
    category = CategoryFactory()
    partner = PartnerFactory()
    org.EMCParticipation.objects.create(emc=emc, partner=partner, started_on=START)
    world = World(leader, admin, lead_me, node_me, emc, scenario, solution, category, partner)
    if with_contract:
        world.contract = approved_contract(world)
    return world
