"""Receivers of other apps' signals (connected in apps.py)."""

import datetime as dt

from django.conf import settings


def night_scored_receive(sender, *, run_id: int, run_date: dt.date, **kwargs) -> None:
    """The night is scored and committed: recompute the open periods' drafts for its date, inline
    without a broker (CELERY_TASK_ALWAYS_EAGER), else by queueing payouts.night_compute."""
    from payouts import services, tasks

    if settings.CELERY_TASK_ALWAYS_EAGER:
        services.payout_night_compute(run_date=run_date)
    else:
        tasks.night_compute.delay(run_date.isoformat())
