"""Judging writes. `night_judge` is the night's step after scoring: it runs when scoring says a
night is done (`scoring.signals.night_scored`, see judging/receivers.py) and is safe to run twice
for one run: each part rewrites, or keys by cause, what it writes for the run's date."""

import logging

from judging.scorecards import scorecards_compute
from scoring.models import NightlyRun

log = logging.getLogger(__name__)


def night_judge(*, run_id: int) -> dict:
    """The judging steps of a finished, current nightly run: the partner scorecards. A run not
    done, or superseded by a restatement since, is skipped (its successor sends its own signal)."""
    run = NightlyRun.objects.filter(pk=run_id).first()
    if run is None or run.status != NightlyRun.Status.DONE or run.superseded:
        return {"run_id": run_id, "skipped": True}
    scorecards = scorecards_compute(run_id=run.pk)
    log.info("judging: %s scorecards for %s (run %s)", scorecards, run.run_date, run.pk)
    return {"run_id": run.pk, "run_date": run.run_date.isoformat(), "scorecards": scorecards}
