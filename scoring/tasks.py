"""Nightly jobs. Thin: each task calls one service and is safe to run twice."""

from celery import shared_task

from scoring import services


@shared_task(
    name="scoring.nightly_pipeline", acks_late=True, time_limit=4 * 3600, soft_time_limit=4 * 3600 - 60
)
def nightly_pipeline(run_date: str | None = None) -> dict:
    """Run the nightly pipeline for `run_date` (ISO date, default: yesterday in TIME_ZONE)."""
    run = services.nightly_run_execute(run_date=run_date)
    return {"run_id": run.pk, "run_date": run.run_date.isoformat(), "status": run.status}
