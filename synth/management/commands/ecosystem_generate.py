"""Generate a synthetic ecosystem with a year of history, or add a night on top of one.

python manage.py ecosystem_generate --scale haier --events 300000 --seed 1 --workers 2
python manage.py ecosystem_generate --night --events 30000
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from synth import services
from synth.models import GeneratedHistory
from synth.scales import SCALES


class Command(BaseCommand):
    help = "Build a synthetic ecosystem (small, medium, haier) with a year of history, or add a night."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument(
            "--events", type=int, help="value events (default: the scale's, or a day's for a night)"
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--last-day", type=dt.date.fromisoformat, help="last day of the year (default: 2 days ago)"
        )
        parser.add_argument(
            "--workers", type=int, default=0, help="posting processes (PostgreSQL; 0: in this one)"
        )
        parser.add_argument("--phase", choices=["all", "organization", "history"], default="all")
        parser.add_argument("--night", action="store_true", help="add one more day on top of the history")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        quiet = options["no_progress"] or options["verbosity"] == 0
        bar = None

        def on_batch(batch):
            if bar is not None:
                bar.update(batch.events)
                bar.set_postfix_str(str(batch.day), refresh=False)

        try:
            if options["night"]:
                total = options["events"]
                bar = tqdm(total=total, unit="events", disable=quiet, desc="night")
                night = services.night_add(
                    events=options["events"], workers=options["workers"], on_batch=on_batch
                )
                bar.close()
                self.stdout.write(self.style.SUCCESS(f"night of {night['day']}: {night}"))
                return
            scale = options["scale"]
            total = options["events"] if options["events"] is not None else SCALES[scale].events
            if options["phase"] == "history":  # the organization's record says how many
                record = GeneratedHistory.objects.first()
                total = record.events if record is not None else total
            if options["phase"] != "organization":
                bar = tqdm(total=total, unit="events", disable=quiet, desc="history", smoothing=0.05)
            record = services.history_generate(
                scale=scale,
                events=options["events"],
                seed=options["seed"],
                last_day=options["last_day"],
                workers=options["workers"],
                phase=options["phase"],
                progress=(lambda m: None) if quiet else (lambda m: tqdm.write(m)),
                on_batch=on_batch,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        finally:
            if bar is not None:
                bar.close()
        self.stdout.write(self.style.SUCCESS(f"{record}: {record.stats}"))
