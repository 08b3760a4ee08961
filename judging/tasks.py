"""Judging's nightly task: thin, takes the run's id, idempotent (see judging.services.night_judge)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from judging import services


@shared_task(
    name="judging.night_judge",
    acks_late=True,
    time_limit=1800,
    soft_time_limit=1740,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=5,
)
def night_judge_task(run_id: int) -> dict:
    return services.night_judge(run_id=run_id)
