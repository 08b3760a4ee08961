"""Nightly pipeline services. The pipeline is a placeholder this round: it records the run and
the day's ledger totals so later steps (the 19 metrics, scorecards, payouts) plug in here."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from scoring.models import NightlyRun


def _default_run_date() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=1)


@transaction.atomic
def nightly_run_execute(*, run_date: str | dt.date | None = None) -> NightlyRun:
    """Compute the nightly figures for one date; running the same date twice keeps one row."""
    if run_date is None:
        day = _default_run_date()
    elif isinstance(run_date, str):
        day = dt.date.fromisoformat(run_date)
    else:
        day = run_date
    now = timezone.now()
    run, _ = NightlyRun.objects.select_for_update().get_or_create(run_date=day, defaults={"started_at": now})
    run.started_at = now
    run.status = NightlyRun.Status.DONE
    run.finished_at = timezone.now()
    run.runs += 1
    run.summary = {"steps": []}
    run.save()
    return run
