"""Starting the pipeline from the interfaces (the admins' button, the API, the admin actions):
a run is made by `scoring.services` and its execution queued to the workers once the
transaction commits (in this process without a broker). Kept apart from the services, which
the tasks call, so the tasks and the services do not import each other."""

import datetime as dt

from django.conf import settings
from django.db import transaction

from scoring import services
from scoring.models import NightlyRun
from scoring.pipeline import run_inline
from scoring.tasks import run_execute


def run_queue(*, actor, run_date, restate: bool = False) -> NightlyRun:
    """Start a (re-)run of a date and queue its execution once committed (in this process
    without a broker). Returns the run at once; its progress is on the run."""
    run = services.run_start(run_date=run_date, actor=actor, kind=NightlyRun.Kind.RERUN, restate=restate)
    transaction.on_commit(lambda: run_execute.delay(run.pk))
    return run


def backfill_queue(*, actor, date_from, date_to) -> NightlyRun:
    """Backfill the dates in order with one cut-off: the first run is queued and each run queues
    the next when it finishes (without a broker, all run here, one after another)."""
    start, end = services.backfill_range_check(date_from=date_from, date_to=date_to)
    run = services.run_start(run_date=start, actor=actor, kind=NightlyRun.Kind.BACKFILL, backfill_to=end)
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        transaction.on_commit(lambda: run_execute.delay(run.pk))
        return run
    first = run
    run_inline(run_id=run.pk)
    day, cutoff = start, run.cutoff
    while day < end:
        day += dt.timedelta(days=1)
        run = services.run_start(run_date=day, kind=NightlyRun.Kind.BACKFILL, backfill_to=end, cutoff=cutoff)
        run_inline(run_id=run.pk)
    first.refresh_from_db()
    return first
