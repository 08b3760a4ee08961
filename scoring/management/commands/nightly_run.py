"""Run the nightly pipeline for a date or a range of dates, with a progress bar.

Through the Celery workers when a broker is configured and a worker answers, else in this
process. `--from/--to` backfills the dates in order with one cut-off (`--every N` computes every
Nth date counted back from the last, `--daily-last N` every date of the last N days, and
`--downstream-last N` lets only the last N dates go on to judging and payouts); `--restate`
recomputes a date with a new cut-off and keeps the previous figures, marked superseded.
"""

import datetime as dt
import sys
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from config.celery import app
from scoring import selectors, services
from scoring.models import NightlyRun
from scoring.pipeline import run_inline
from scoring.tasks import run_execute


class Command(BaseCommand):
    help = "Run the nightly pipeline for a date (default: yesterday) or a range, and wait for it."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="ISO date to compute (default: yesterday in TIME_ZONE)")
        parser.add_argument("--from", dest="date_from", help="first date of a backfill")
        parser.add_argument("--to", dest="date_to", help="last date of a backfill (default: yesterday)")
        parser.add_argument("--restate", action="store_true", help="recompute with a new cut-off")
        parser.add_argument("--timeout", type=int, default=3600, help="seconds to wait for the workers")
        parser.add_argument(
            "--every",
            type=int,
            default=1,
            help="a backfill computes every Nth date (the last always), e.g. 7 for weekly figures",
        )
        parser.add_argument(
            "--daily-last",
            type=int,
            default=None,
            help="with --every: every date of the last N days of the backfill is computed",
        )
        parser.add_argument(
            "--downstream-last",
            type=int,
            default=None,
            help="only the last N dates of a backfill go on to judging and payouts (default: all)",
        )

    def handle(self, *args, **options):
        inline = settings.CELERY_TASK_ALWAYS_EAGER or not app.control.ping(timeout=2.0)
        if inline and not settings.CELERY_TASK_ALWAYS_EAGER:
            self.stdout.write(
                self.style.WARNING("nightly pipeline: no worker answered; running in this process")
            )
        elif not inline:
            self.stdout.write("nightly pipeline: queued to the workers")
        try:
            if options["date_from"]:
                start, end = services.backfill_range_check(
                    date_from=options["date_from"], date_to=options["date_to"] or services.default_run_date()
                )
                if options["every"] < 1:
                    raise CommandError("--every: give a whole number of days, 1 or more.")
                # every Nth date counted back from the last (so the last is always computed), and
                # every date of the last --daily-last days
                daily = options["daily_last"] or 0
                days = [
                    start.fromordinal(n)
                    for n in range(start.toordinal(), end.toordinal() + 1)
                    if (end.toordinal() - n) % options["every"] == 0 or end.toordinal() - n < daily
                ]
            else:
                days = [options["date"] or services.default_run_date()]
            last = options["downstream_last"]
            if last is not None and last < 0:
                raise CommandError("--downstream-last: give a whole number of dates, 0 or more.")
            quiet = set() if last is None else {d for d in days if d < days[-1] - dt.timedelta(days=last - 1)}
            self._run(
                days, inline=inline, restate=options["restate"], timeout=options["timeout"], quiet=quiet
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None

    def _run(self, days, *, inline: bool, restate: bool, timeout: int, quiet=frozenset()) -> None:
        kind = NightlyRun.Kind.BACKFILL if len(days) > 1 else NightlyRun.Kind.NIGHTLY
        cutoff = None
        started = time.monotonic()
        for n, day in enumerate(days, start=1):
            run = services.run_start(
                run_date=day, kind=kind, restate=restate, cutoff=cutoff, downstream=day not in quiet
            )
            cutoff = run.cutoff  # a backfill reads every date with the first date's cut-off
            if inline:
                run_inline(run_id=run.pk)
            else:
                run_execute.delay(run.pk)
            run = self._wait(run, timeout)
            self._bar(n, len(days), run, time.monotonic() - started)
            if run.status != NightlyRun.Status.DONE:
                raise CommandError(f"nightly pipeline: {run.run_date} {run.status}: {run.error}")
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(f"nightly pipeline: done for {len(days)} date(s), last {days[-1]}")
        )

    def _wait(self, run, timeout: int) -> NightlyRun:
        deadline = time.monotonic() + timeout
        while True:
            run.refresh_from_db()
            if (
                run.status in (NightlyRun.Status.DONE, NightlyRun.Status.FAILED)
                or time.monotonic() > deadline
            ):
                return run
            time.sleep(0.5)

    def _bar(self, n: int, total: int, run, seconds: float) -> None:
        if total > 1 and n != total and n % max(1, total // 30):
            return  # about thirty redraws whatever the length of the backfill
        width = 30
        filled = int(width * n / total)
        progress = selectors.run_progress(run=run)
        line = (
            f"\r[{'#' * filled}{'.' * (width - filled)}] {n}/{total} {run.run_date} {run.status}"
            f" index {run.summary.get('index') or '-'} ({progress['percent']}%) {seconds:.1f}s"
        )
        sys.stdout.write(line if total > 1 else line.lstrip("\r") + "\n")
        sys.stdout.flush()
