"""The judging tests start from the scoring tests' hand-worked ecosystem (tests/scoring/conftest.py),
with what a scorecard needs beside it: ratings on the partner's solution and a partial refund of
an event it took part in.

On top of that world (day D): partner P took part in e1 (100.00 on D, solution Sol, which P
provides alone) and e0 (200.00 on D-95); its contract share is 7.5%, its baseline 5.00 CNY.
Added here: e1 is refunded 30.00 on D; two ratings on Sol on D-1: 2 vs expectation 4 and 5 vs 4.
"""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from ledger import services as ledger_services
from tests.scoring.conftest import at, run_night, scored_world_build


def judged_world_build():
    scored = scored_world_build()
    world, D = scored.world, scored.day
    ledger_services.value_event_refund(
        actor=None, original=scored.events["e1"], amount="30.00", occurred_at=at(D, 16)
    )
    for rating, expectation, user in ((2, 4, "u-0001"), (5, 4, "u-0002")):
        ledger_services.user_signal_log(
            actor=None,
            kind="rating",
            me=world.lead_me,
            emc=world.emc,
            solution=world.solution,
            user_ref=user,
            occurred_at=at(D - dt.timedelta(days=1), 14),
            rating=rating,
            expectation=expectation,
        )
    return scored


@pytest.fixture
def judged(db):
    return judged_world_build()


@pytest.fixture
def night(judged, django_capture_on_commit_callbacks, settings):
    """Score the night of D; the judging steps run on the scoring signal, after its commit, in
    this process (no broker: the PostgreSQL pass has one, tests/judging/test_worker.py uses it)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True

    def run(day=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return run_night(day or judged.day, **kwargs)

    return run


# --- the Win-Win Value-Added Statement: a small ecosystem worked by hand ----------------------
#
# world_build's EMC (contract: fee 5%, partner P 7.5%, holdback 10%, node MEs L 60% / N 40%);
# day D is three days ago, every event on D (so all in D's month):
#   a1  u-0001 pays 1000.00 at L, core category, with P: fee 50.00, P 75.00, holdback 87.50,
#       L 472.50, N 315.00
#   a2  u-2 pays  200.00 at L, non-core:            fee 10.00, holdback 19.00, L 102.60, N 68.40
#   a3  u-1 pays   50.00 at L, core:                fee  2.50, holdback  4.75, L 25.65, N 17.10
#       refunded 20.00 (fee 1.00, holdback 1.90, L 10.26, N 6.84 back)
#   b1  u-9 pays  300.00 at N, core:                fee 15.00, holdback 28.50, L 153.90, N 102.60
# u-1 co-created at L on D (one signal: interactive), u-2 only paid (transactional).
# L logs costs of D's month: materials 100.00, labour 300.00 CNY, and 40 hours; N logs nothing.


@dataclass
class StatementWorld:
    world: object
    day: dt.date
    period: str
    events: dict


def statement_world_build() -> StatementWorld:
    from judging import entries
    from tests.factories import CategoryFactory
    from tests.ledger.factories import world_build

    world = world_build()
    D = timezone.localdate() - dt.timedelta(days=3)
    noncore = CategoryFactory(is_core=False)
    L, N = world.lead_me, world.node_me

    def pay(user, amount, me, category, partners=()):
        return ledger_services.value_event_log(
            actor=None,
            me=me,
            emc=world.emc,
            scenario=world.scenario,
            category=category,
            user_ref=user,
            amount=amount,
            currency="CNY",
            occurred_at=at(D, 10),
            partners=list(partners),
        )

    events = {
        "a1": pay("u-0001", "1000.00", L, world.category, [world.partner]),
        "a2": pay("u-0002", "200.00", L, noncore),
        "a3": pay("u-0001", "50.00", L, world.category),
        "b1": pay("u-0009", "300.00", N, world.category),
    }
    ledger_services.value_event_refund(
        actor=None, original=events["a3"], amount="20.00", occurred_at=at(D, 15)
    )
    ledger_services.user_signal_log(
        actor=None,
        kind="co_creation",
        me=L,
        emc=world.emc,
        user_ref="u-0001",
        occurred_at=at(D, 11),
        co_creation_kind="idea",
    )
    period = f"{D:%Y-%m}"
    entries.cost_entries_post(
        specs=[
            entries.CostSpec(me=L.code, period=period, category="materials", amount="100.00", currency="CNY"),
            entries.CostSpec(me=L.code, period=period, category="labour", amount="300.00", currency="CNY"),
        ],
        actor=None,
        source="job",
    )
    entries.hours_entries_post(
        specs=[entries.HoursSpec(me=L.code, period=period, hours="40")], actor=None, source="job"
    )
    return StatementWorld(world=world, day=D, period=period, events=events)


@pytest.fixture
def stated(db):
    return statement_world_build()
