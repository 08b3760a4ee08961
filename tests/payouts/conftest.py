import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from ledger import services as ledger_services
from tests.factories import MembershipFactory, UserFactory
from tests.ledger.factories import approved_contract, world_build


def _months_ago(n: int) -> dt.date:
    first = timezone.localdate().replace(day=1)
    for _ in range(n):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first


# a month two months back: inside the ledger's back-dating window, wholly in the past
JUNE = _months_ago(2)


def at(day: dt.date) -> dt.datetime:
    """Noon of `day`; today, no later than now (before noon, noon is in the future)."""
    noon = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    if day == timezone.localdate():
        return min(noon, timezone.now())
    return noon


@pytest.fixture
def world(db):
    return payout_world_build()


def payout_world_build():
    """The ledger's small world with a monthly contract of the worked examples'
    numbers: target 1,000,000, base 10%, from 100% 20%, from 150% 30%, fee 5%, a partner at
    7.5%, no posting holdback, node shares 60/40; members: the lead ME Alice 60 / Bob 40."""
    w = world_build(with_contract=False)
    w.contract = approved_contract(
        w,
        effective_from=JUNE,
        target_minor=1_000_000,
        base_rate_pct=Decimal(10),
        floor_minor=0,
        cap_minor=None,
        holdback_pct=Decimal(0),
        holdback_days=0,
        tiers=[{"threshold_pct": 100, "rate_pct": 20}, {"threshold_pct": 150, "rate_pct": 30}],
    )
    w.alice = MembershipFactory(me=w.lead_me, weight=60, user=UserFactory(roles=["me_member"])).user
    w.bob = MembershipFactory(me=w.lead_me, weight=40, user=UserFactory(roles=["me_member"])).user
    return w


@pytest.fixture
def pay(world):
    return payer(world)


def payer(world):
    """Log a payment of `amount` (major units) on `day`, with the partner unless told not to."""

    def do(amount: str, day: dt.date, *, partners=None, **overrides):
        return ledger_services.value_event_log(
            actor=world.leader,
            me=world.lead_me,
            emc=world.emc,
            scenario=world.scenario,
            solution=world.solution,
            category=world.category,
            user_ref="user-1",
            amount=amount,
            currency="CNY",
            occurred_at=at(day),
            partners=[world.partner] if partners is None else partners,
            **overrides,
        )

    return do


@pytest.fixture
def finance(db):
    return UserFactory(roles=["finance"])


@pytest.fixture
def finance2(db):
    return UserFactory(roles=["finance"])
