"""The same night on two real Celery worker processes, on one, and in this process: equal snapshots.

Runs in the PostgreSQL + Redis pass. The workers consume a queue of their own (SCORING_QUEUE),
so the test knows how many share the chunks.
"""

import time
import uuid

import pytest

from scoring import services
from scoring.models import NightlyRun, RunChunk
from scoring.tasks import run_execute
from tests.conftest import celery_workers_start, celery_workers_stop
from tests.factories import EMCFactory
from tests.scoring.conftest import run_night, scored_world_build
from tests.scoring.test_pipeline import rows

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _on_workers(day, names: list[str]) -> NightlyRun:
    queue = f"scoring-test-{uuid.uuid4().hex[:8]}"
    procs = celery_workers_start(names, queue=queue)
    try:
        run = services.run_start(run_date=day)
        # the workers route the chord's tasks to the same queue (SCORING_QUEUE in their settings)
        run_execute.apply_async(args=[run.pk], queue=queue)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.status in ("done", "failed"):
                break
            time.sleep(0.3)
        return run
    finally:
        celery_workers_stop(procs)


def test_two_workers_one_worker_and_in_process_give_equal_snapshots(settings):
    scored = scored_world_build()
    for _ in range(6):
        EMCFactory()
    settings.SCORING_CHUNK_EMCS = 1  # eight EMCs: eight chunks to share

    in_process = rows(run_night(scored.day))

    one = _on_workers(scored.day, ["score-solo"])
    assert one.status == "done", one.error
    assert set(RunChunk.objects.filter(run=one).values_list("worker", flat=True)) == {f"score-solo@{_host()}"}
    assert rows(one) == in_process

    two = _on_workers(scored.day, ["score-a", "score-b"])
    assert two.status == "done", two.error
    workers = set(RunChunk.objects.filter(run=two).values_list("worker", flat=True))
    assert workers == {f"score-a@{_host()}", f"score-b@{_host()}"}, workers
    assert rows(two) == in_process


def _host() -> str:
    import socket

    return socket.gethostname()
