"""The judging tests start from the scoring tests' hand-worked ecosystem (tests/scoring/conftest.py),
with what a scorecard needs beside it: ratings on the partner's solution and a partial refund of
an event it took part in.

On top of that world (day D): partner P took part in e1 (100.00 on D, solution Sol, which P
provides alone) and e0 (200.00 on D-95); its contract share is 7.5%, its baseline 5.00 CNY.
Added here: e1 is refunded 30.00 on D; two ratings on Sol on D-1: 2 vs expectation 4 and 5 vs 4.
"""

import datetime as dt

import pytest

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
