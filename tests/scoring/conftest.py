"""A small ecosystem whose every figure is worked out by hand in tests/scoring/test_metrics.py.

Day D is three days ago. EMC `world.emc` (nodes: lead ME L 60%, node ME N 40%; contract: fee 5%,
partner P 7.5%, holdback 10%, the payout's: posting keeps none) has, in the 90-day period ending on D:

  e1  u-0001 pays 100.00 on D    category C (core, ISIC 2750), solution Sol, customized, with P, ME L
  e2  u-0002 pays 300.00 on D-1  category C2 (non-core, ISIC 9601), ME N
  e3  u-0003 pays  40.00 on D    category C3 (core, no ISIC), ME L, refunded in full on D
and in the previous period:
  e0  u-0004 pays 200.00 on D-95 category C2 (non-core), with P, ME N

signals in the period (EMC, ME): u-0001 at L: rating 5 vs expectation 3, a co-creation idea, a
story, owns 6 products; u-0002 at N: rating 2 vs expectation 4, owns 1 product, no related buy.
Partners: P (ISIC 2750 + 6201, product/service, baseline 5.00 CNY, uses the IoT cloud since D-10),
P2 (ISIC 5210, logistics, certified since D-30, admitted D-20, active D-10, applied D-40).
Sol bundles C and C2, provided by P; versions on D-100, D-40, D-10. Indicators: 120.5 kg CO2e
(D-1), 50 kWh (D), 300 people served (D-2). A second EMC `empty` has nothing at all.
"""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from ledger import services as ledger_services
from orgs import models as org
from orgs import services as org_services
from scoring import pipeline, services
from tests.factories import CategoryFactory, EMCFactory, PartnerFactory, reference
from tests.ledger.factories import World, world_build


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@dataclass
class Scored:
    world: World
    day: dt.date
    p2: org.Partner
    empty: org.EMC
    events: dict


def run_night(day: dt.date, **kwargs):
    """Start the run of `day` and execute every step in this process."""
    run = services.run_start(run_date=day, **kwargs)
    return pipeline.run_inline(run_id=run.pk)


def scored_world_build() -> Scored:
    world = world_build()
    D = timezone.localdate() - dt.timedelta(days=3)
    admin = world.admin
    # get_or_create: a transaction=True test may have flushed the reference data
    industry = {
        c: org.Industry.objects.get_or_create(code=c, defaults={"level": "class", "title": f"ISIC {c}"})[0]
        for c in ("2750", "6201", "9601", "5210")
    }
    c1, c3 = world.category, CategoryFactory()
    c1.industry = industry["2750"]
    c1.save()
    c2 = CategoryFactory(is_core=False, industry=industry["9601"])
    p = world.partner
    p.industries.set([industry["2750"], industry["6201"]])
    p.revenue_baseline_minor = 500
    p.save()
    sol = world.solution
    sol.categories.set([c1, c2])
    sol.provider_partners.set([p])
    for offset in (100, 40, 10):
        org.SolutionVersion.objects.create(
            solution=sol, number=101 - offset, released_on=D - dt.timedelta(days=offset)
        )
    p2 = PartnerFactory(
        applied_on=D - dt.timedelta(days=40),
        roles=[reference(org.PartnerRole, "logistics", name="Logistics")],
    )
    p2.industries.set([industry["5210"]])
    org.EMCParticipation.objects.create(emc=world.emc, partner=p2, started_on=dt.date(2024, 1, 1))
    for frm, to, offset in (("applied", "probation", 20), ("probation", "active", 10)):
        org.PartnerTransition.objects.create(
            partner=p2, from_value=frm, to_value=to, effective_on=D - dt.timedelta(days=offset), reason="demo"
        )
    standard = reference(org.PlatformStandard, "iot-interop", name="IoT interoperability")
    org.Certification.objects.create(partner=p2, standard=standard, certified_on=D - dt.timedelta(days=30))
    cloud = reference(org.PlatformResource, "iot-cloud", name="IoT cloud")
    org_services.resource_use_start(
        actor=admin, partner=p, resource=cloud, started_on=D - dt.timedelta(days=10)
    )

    def pay(user, amount, day, category, me, **kw):
        return ledger_services.value_event_log(
            actor=None,
            me=me,
            emc=world.emc,
            scenario=world.scenario,
            category=category,
            user_ref=user,
            amount=amount,
            currency="CNY",
            occurred_at=at(day),
            **kw,
        )

    L, N = world.lead_me, world.node_me
    events = {
        "e0": pay("u-0004", "200.00", D - dt.timedelta(days=95), c2, N, partners=[p]),
        "e1": pay("u-0001", "100.00", D, c1, L, solution=sol, customized=True, partners=[p]),
        "e2": pay("u-0002", "300.00", D - dt.timedelta(days=1), c2, N, partners=[]),
        "e3": pay("u-0003", "40.00", D, c3, L, partners=[]),
    }
    ledger_services.value_event_refund(
        actor=None, original=events["e3"], amount="40.00", occurred_at=at(D, 15)
    )

    def signal(kind, user, me, **kw):
        ledger_services.user_signal_log(
            actor=None,
            kind=kind,
            me=me,
            emc=world.emc,
            user_ref=user,
            occurred_at=at(D - dt.timedelta(days=1)),
            **kw,
        )

    signal("rating", "u-0001", L, rating=5, expectation=3)
    signal("co_creation", "u-0001", L, co_creation_kind="idea")
    signal("story", "u-0001", L, note="Told the neighbours")
    signal("ownership", "u-0001", L, products_owned=6)
    signal("rating", "u-0002", N, rating=2, expectation=4)
    signal("ownership", "u-0002", N, products_owned=1, related_purchase=False)
    for kind, quantity, unit, offset in (
        ("co2e_avoided", "120.5", "kg CO2e", 1),
        ("energy_saved", "50", "kWh", 0),
        ("people_served", "300", "people", 2),
    ):
        ledger_services.purpose_indicator_log(
            actor=None,
            kind=kind,
            me=L,
            emc=world.emc,
            on=D - dt.timedelta(days=offset),
            quantity=quantity,
            unit=unit,
        )
    empty = EMCFactory(formed_on=dt.date(2024, 1, 1))
    return Scored(world=world, day=D, p2=p2, empty=empty, events=events)


@pytest.fixture
def scored(db):
    return scored_world_build()


@pytest.fixture
def admin(db):
    from tests.factories import UserFactory

    return UserFactory(username="boss", roles=["platform_admin"])
