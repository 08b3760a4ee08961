"""Small helpers shared by the ledger's web views."""

import datetime as dt

from django.urls import reverse
from django.utils.dateparse import parse_date


def date_param(value, default: dt.date | None = None) -> dt.date | None:
    """A YYYY-MM-DD query value, or `default` when absent or malformed."""
    try:
        return parse_date(value or "") or default
    except ValueError:
        return default


def event_url(event) -> str:
    """Where an event is shown: its row in its ME's ledger, highlighted."""
    base = reverse("ledger:me-ledger", args=[event.me.code])
    return f"{base}?highlight={event.pk}#event-{event.pk}"
