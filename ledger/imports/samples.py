"""The sample files (fit for the demo), served with their dates moved to the last days."""

import csv
import datetime as dt
import io
from pathlib import Path

from django.utils import timezone

from ledger.models import ImportBatch

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SAMPLE_FILES = {
    ImportBatch.Kind.EVENTS: "value_events.csv",
    ImportBatch.Kind.SIGNALS: "user_signals.csv",
    ImportBatch.Kind.INDICATORS: "purpose_indicators.csv",
}


def sample_csv(kind: str, *, now=None) -> str:
    """A sample file with its dates moved together, by whole days, so the latest is a day ago:
    with the dates as written it would age past the back-dating window (LEDGER_BACKDATE_DAYS)
    and fail. Times of day, offsets and the order of the rows stay as written."""
    with open(SAMPLES / SAMPLE_FILES[kind], encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    if kind == ImportBatch.Kind.INDICATORS:  # a day, not a moment
        days = [dt.date.fromisoformat(row["on"]) for row in rows]
        shift = timezone.localdate(now) - dt.timedelta(days=1) - max(days)
        for row, day in zip(rows, days, strict=True):
            row["on"] = (day + shift).isoformat()
    else:
        moments = [dt.datetime.fromisoformat(row["occurred_at"]) for row in rows]
        shift = dt.timedelta(days=((now or timezone.now()) - dt.timedelta(days=1) - max(moments)).days)
        for row, moment in zip(rows, moments, strict=True):
            row["occurred_at"] = (moment + shift).isoformat()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
