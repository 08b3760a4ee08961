"""Payout tasks: thin, idempotent (a draft's lines are replaced in one transaction, keyed)."""

import datetime as dt

from celery import shared_task
from django.db import InterfaceError, OperationalError

from payouts import services

TRANSIENT = (OperationalError, InterfaceError)


@shared_task(
    name="payouts.night_compute",
    acks_late=True,
    time_limit=3600,
    soft_time_limit=3540,
    autoretry_for=TRANSIENT,
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=5,
)
def night_compute(run_date: str) -> list[int]:
    """Recompute the drafts of the open periods of `run_date` (ISO date)."""
    return services.payout_night_compute(run_date=dt.date.fromisoformat(run_date))
