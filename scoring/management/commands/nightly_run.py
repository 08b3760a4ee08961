"""Run the nightly pipeline once now: through the Celery worker when one answers, else here."""

from django.conf import settings
from django.core.management.base import BaseCommand

from config.celery import app
from scoring.tasks import nightly_pipeline


class Command(BaseCommand):
    help = "Run the nightly pipeline for a date (default: yesterday) and wait for it."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="ISO date to compute (default: yesterday in TIME_ZONE)")
        parser.add_argument("--timeout", type=int, default=3600, help="seconds to wait for the worker")

    def handle(self, *args, **options):
        if settings.CELERY_TASK_ALWAYS_EAGER:
            self.stdout.write("nightly pipeline: running in this process (no broker configured)")
            result = nightly_pipeline.apply(args=[options["date"]]).get()
        elif app.control.ping(timeout=2.0):
            self.stdout.write("nightly pipeline: queued to the worker")
            result = nightly_pipeline.delay(options["date"]).get(timeout=options["timeout"])
        else:
            self.stdout.write(
                self.style.WARNING("nightly pipeline: no worker answered; running in this process")
            )
            result = nightly_pipeline.apply(args=[options["date"]]).get()
        self.stdout.write(
            self.style.SUCCESS(f"nightly pipeline: {result['status']} for {result['run_date']}")
        )
