"""Print the first day a backfill should start from: the earliest value event's day (at most
SCORING_BACKFILL_MAX_DAYS back), or yesterday when there is none."""

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from ledger.models import ValueEvent


class Command(BaseCommand):
    help = "Print the day a backfill of the recorded history starts from."

    def handle(self, *args, **options):
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        earliest = yesterday - dt.timedelta(days=settings.SCORING_BACKFILL_MAX_DAYS - 1)
        first = ValueEvent.objects.order_by("occurred_on").values_list("occurred_on", flat=True).first()
        self.stdout.write(min(max(first or yesterday, earliest), yesterday).isoformat())
