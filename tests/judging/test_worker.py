"""With a broker, the judging step of a night is a task a real worker runs (PostgreSQL + Redis pass)."""

import time

import pytest

from judging.models import Scorecard
from tests.judging.conftest import judged_world_build
from tests.scoring.conftest import run_night

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_scored_night_is_judged_by_the_worker_after_commit(celery_worker_process):
    judged = judged_world_build()
    run_night(judged.day)  # committed: the signal queues judging.night_judge
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not Scorecard.objects.filter(day=judged.day).exists():
        time.sleep(0.3)
    card = Scorecard.objects.get(day=judged.day, partner=judged.world.partner)
    assert card.revenue_minor == 7000 and card.refund_rate_pct is not None
