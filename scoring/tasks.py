"""Nightly jobs. Thin: each task calls one step of scoring.pipeline and is safe to run twice.

`scoring.nightly_pipeline` (beat, at NIGHTLY_AT) starts yesterday's run and runs
`scoring.run_execute`: verify, ingest, per-user state, then a chord of `scoring.chunk` tasks
(one per batch of EMCs, any number of workers) whose callback `scoring.finish` computes the
ecosystem figures and the index and closes the run. Tasks take ids, retry only on transient
database errors, and a permanent error fails the run (admins are told by mail and a banner).
"""

from celery import chord, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction

from scoring import pipeline, services
from scoring.models import NightlyRun

TRANSIENT = (OperationalError, InterfaceError)
RETRY = {"autoretry_for": TRANSIENT, "retry_backoff": 5, "retry_backoff_max": 120, "max_retries": 5}


def _failing(run_id: int, exc: Exception) -> None:
    if not isinstance(exc, TRANSIENT):
        pipeline.run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}")


@shared_task(
    name="scoring.nightly_pipeline", bind=True, acks_late=True, time_limit=3600, soft_time_limit=3540
)
def nightly_pipeline(self, run_date: str | None = None) -> dict:
    """Start the run of `run_date` (ISO date, default yesterday in TIME_ZONE) and execute it: fanned
    out to the workers, or whole in this process when the task itself runs here (`apply`)."""
    run = services.run_start(run_date=run_date)
    if self.request.is_eager or settings.CELERY_TASK_ALWAYS_EAGER:
        run = pipeline.run_inline(run_id=run.pk)
    else:
        run_execute.delay(run.pk)
    return {"run_id": run.pk, "run_date": run.run_date.isoformat(), "status": run.status}


@shared_task(name="scoring.run_execute", acks_late=True, time_limit=3600, soft_time_limit=3540, **RETRY)
def run_execute(run_id: int) -> dict:
    """Steps 1-3 here, then the chunks: a chord over the workers, or in this process without a broker."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        run = pipeline.run_inline(run_id=run_id)
        return {"run_id": run.pk, "run_date": run.run_date.isoformat(), "status": run.status}
    try:
        pending = pipeline.run_prepare(NightlyRun.objects.get(pk=run_id))
        if not pending:
            return finish(run_id)
        chord([chunk.si(run_id, n) for n in pending], finish.si(run_id)).on_error(failed.si(run_id)).delay()
        return {"run_id": run_id, "chunks": len(pending)}
    except Exception as exc:
        _failing(run_id, exc)
        raise


@shared_task(name="scoring.chunk", bind=True, acks_late=True, time_limit=1800, soft_time_limit=1740, **RETRY)
def chunk(self, run_id: int, number: int) -> int:
    try:
        return pipeline.chunk_compute(run_id=run_id, number=number, worker=self.request.hostname or "")
    except Exception as exc:
        _failing(run_id, exc)
        raise


@shared_task(name="scoring.finish", acks_late=True, time_limit=3600, soft_time_limit=3540, **RETRY)
def finish(run_id: int) -> dict:
    try:
        run = pipeline.run_finish(run_id=run_id)
    except Exception as exc:
        _failing(run_id, exc)
        raise
    if run.backfill_to and run.run_date < run.backfill_to and not settings.CELERY_TASK_ALWAYS_EAGER:
        next_day = run.run_date.toordinal() + 1
        transaction.on_commit(
            lambda: backfill_next.delay(next_day, run.backfill_to.isoformat(), run.cutoff.isoformat())
        )
    return {"run_id": run.pk, "run_date": run.run_date.isoformat(), "status": run.status}


@shared_task(name="scoring.failed", acks_late=True, time_limit=60)
def failed(run_id: int, *args) -> None:
    """The chord's error callback: a chunk failed for good."""
    pipeline.run_fail(run_id=run_id, error="a chunk of the run failed; see the worker log")


@shared_task(name="scoring.backfill_next", acks_late=True, time_limit=600)
def backfill_next(day_ordinal: int, backfill_to: str, cutoff: str) -> dict:
    """Start and execute the next date of a backfill, with the backfill's cut-off."""
    import datetime as dt

    day = dt.date.fromordinal(day_ordinal)
    run = services.run_start(
        run_date=day,
        kind=NightlyRun.Kind.BACKFILL,
        backfill_to=dt.date.fromisoformat(backfill_to),
        cutoff=dt.datetime.fromisoformat(cutoff),
    )
    run_execute.delay(run.pk)
    return {"run_id": run.pk, "run_date": day.isoformat()}
