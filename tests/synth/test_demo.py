"""demo_load gives the demo organization a year of history, recorded day by day."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db.models import Max, Min
from django.utils import timezone

from ledger.models import Transaction, ValueEvent
from ledger.selectors import ledger_check_rollups, ledger_totals_by_currency
from synth.models import GeneratedHistory

pytestmark = pytest.mark.django_db


def test_demo_load_writes_a_year_of_history_once(capsys):
    call_command("demo_load")
    out = capsys.readouterr().out
    assert "synth.demo:" in out
    assert "bids.demo: 2 orders (1 awarded and rated, 1 open with 3 bids)" in out
    today = timezone.localdate()
    span = ValueEvent.objects.aggregate(first=Min("occurred_on"), last=Max("occurred_on"))
    assert span["first"] <= today - dt.timedelta(days=330) and span["last"] >= today - dt.timedelta(days=1)
    assert ledger_check_rollups() == [] and set(ledger_totals_by_currency().values()) == {0}
    # the year before the ledger demo's 90 days is recorded day by day, by the same users
    history = GeneratedHistory.objects.get(scale="demo")
    older = ValueEvent.objects.filter(occurred_on__lte=history.last_day)
    recent = ValueEvent.objects.filter(occurred_on__gt=history.last_day)
    assert older.count() > recent.count()
    assert (
        Transaction.objects.filter(effective_on__lte=history.last_day)
        .values("recorded_at")
        .distinct()
        .count()
        > 250
    )
    returning = set(older.values_list("user_ref", flat=True)) & set(recent.values_list("user_ref", flat=True))
    assert len(returning) > 100
    events = ValueEvent.objects.count()
    call_command("demo_load")
    assert "demo history already loaded" in capsys.readouterr().out
    assert ValueEvent.objects.count() == events
