"""Run the nightly pipeline once now (through Celery: in-process without a broker)."""

from django.core.management.base import BaseCommand

from scoring.tasks import nightly_pipeline


class Command(BaseCommand):
    help = "Run the nightly pipeline for a date (default: yesterday) and wait for it."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="ISO date to compute (default: yesterday in TIME_ZONE)")
        parser.add_argument("--timeout", type=int, default=3600)

    def handle(self, *args, **options):
        self.stdout.write("nightly pipeline: queued")
        result = nightly_pipeline.delay(options["date"]).get(timeout=options["timeout"])
        self.stdout.write(self.style.SUCCESS(f"nightly pipeline: {result['status']} for {result['run_date']}"))
