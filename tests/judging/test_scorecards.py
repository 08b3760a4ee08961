"""The nightly partner scorecards: one row per admitted partner per date, each figure worked out
by hand from the world of tests/judging/conftest.py."""

import datetime as dt
from decimal import Decimal

import pytest

from judging import receivers
from judging.models import Scorecard
from scoring.models import NightlyRun


def test_the_night_stores_a_scorecard_per_admitted_partner_with_its_figures(judged, night):
    night()
    D, p, p2 = judged.day, judged.world.partner, judged.p2
    cards = {c.partner_id: c for c in Scorecard.objects.filter(day=D)}
    assert set(cards) >= {p.pk, p2.pk}
    card = cards[p.pk]
    assert card.window_days == 90 and card.currency == "CNY"
    # e1 100.00 less its 30.00 refund, against e0's 200.00 in the 90 days before
    assert card.revenue_minor == 7000
    assert card.revenue_growth_pct == Decimal("-65.00")
    # 7.5% of 100.00 credited, 7.5% of 30.00 taken back: 5.25; annualised over 90 days vs 5.00
    assert card.value_added_minor == 525
    assert card.value_added_pct == Decimal("425.83")
    # ratings on Sol: 2 - 4 and 5 - 4
    assert card.ratings == 2 and card.margin_mean == Decimal("-0.50")
    assert card.refunds == 1 and card.refund_minor == 3000
    assert card.refund_rate_pct == Decimal("30.00")
    assert card.co_solutions == 0  # Sol is P's alone
    assert card.resources == 1 and card.certifications == 0
    assert card.tenure_days is None  # never admitted through the lifecycle in this world
    w90 = card.figures["windows"]["90"]
    assert w90["trends"]["revenue"] == "down"
    assert w90["below_expectation_pct"] == "50.00"
    assert w90["start"] == (D - dt.timedelta(days=89)).isoformat()
    # the 30-day window has nothing before it; the year holds both events
    assert card.figures["windows"]["30"]["revenue_growth_pct"] is None
    assert card.figures["windows"]["365"]["revenue"] == {"CNY": 27000}
    other = cards[p2.pk]
    assert other.revenue_minor == 0 and other.margin_mean is None and other.revenue_growth_pct is None
    assert other.certifications == 1 and other.tenure_days == 20
    assert other.figures["roles"] == ["logistics"] and other.figures["industries"] == ["5210"]


def test_judging_a_night_twice_rewrites_its_scorecards_without_duplicates(judged, night):
    from judging.services import night_judge

    run = night()
    fields = ("partner_id", "revenue_minor", "margin_mean", "figures")
    first = sorted(Scorecard.objects.filter(day=judged.day).values_list(*fields), key=str)
    assert night_judge(run_id=run.pk)["scorecards"] == len(first)
    again = sorted(Scorecard.objects.filter(day=judged.day).values_list(*fields), key=str)
    assert first == again


def test_applied_and_rejected_partners_have_no_scorecard(judged, night):
    from tests.factories import PartnerFactory

    applied = PartnerFactory(state="applied")
    night()
    assert not Scorecard.objects.filter(partner=applied).exists()


def test_with_a_broker_the_receiver_queues_the_judging_task(settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []
    monkeypatch.setattr("judging.tasks.night_judge_task.delay", lambda run_id: queued.append(run_id))
    receivers.on_night_scored(NightlyRun, run_id=41, run_date=dt.date(2025, 1, 1))
    assert queued == [41]


@pytest.mark.parametrize("status", [NightlyRun.Status.FAILED, NightlyRun.Status.RUNNING])
def test_a_run_not_done_is_not_judged(db, status):
    from judging.services import night_judge

    run = NightlyRun.objects.create(run_date=dt.date(2025, 1, 1), status=status)
    assert night_judge(run_id=run.pk)["skipped"]
    assert not Scorecard.objects.exists()
