"""The scorecards' window sums advanced night by night (judging/windows.py) against the same sums
read whole from the rollups: equal, figure for figure, on the world of tests/judging/conftest.py
with windows short enough (1 and 3 days) that days leave them between two nights."""

import datetime as dt

import pytest

from judging.models import Scorecard
from judging.scorecards import scorecards_compute
from judging.windows import window_sums
from ledger import services as ledger_services
from scoring.inputs import partner_windows
from scoring.models import WindowState, WindowSum
from tests.scoring.conftest import at

WINDOWS = [1, 3, 90]


@pytest.fixture
def short_windows(settings):
    settings.JUDGING_WINDOWS = WINDOWS
    settings.JUDGING_HEADLINE_WINDOW = 90


def _spans(day):
    spans = []
    for w in WINDOWS:
        start = day - dt.timedelta(days=w - 1)
        spans += [(start, day), (start - dt.timedelta(days=w), start - dt.timedelta(days=1))]
    return spans


def _plain(read):
    """defaultdicts as dicts, so two reads compare by content."""

    def plain(value):
        return {k: plain(v) for k, v in value.items()} if isinstance(value, dict) else value

    return [plain(window) for window in read]


def _cards(day):
    fields = (
        "partner_id",
        "revenue_minor",
        "value_added_minor",
        "ratings",
        "margin_mean",
        "refunds",
        "figures",
    )
    return sorted(Scorecard.objects.filter(day=day).values_list(*fields), key=lambda r: r[0])


def _late_events(judged):
    """Logged after the night before D was scored: a payment with P two days before D (late), one
    on D and its refund, a rating on D."""
    world, D = judged.world, judged.day

    def pay(day, amount):
        return ledger_services.value_event_log(
            actor=None,
            me=world.lead_me,
            emc=world.emc,
            scenario=world.scenario,
            category=world.category,
            solution=world.solution,
            user_ref="u-0007",
            amount=amount,
            currency="CNY",
            occurred_at=at(day, 10),
            partners=[world.partner],
        )

    pay(D - dt.timedelta(days=2), "40.00")
    on_d = pay(D, "60.00")
    ledger_services.value_event_refund(actor=None, original=on_d, amount="10.00", occurred_at=at(D, 17))
    ledger_services.user_signal_log(
        actor=None,
        kind="rating",
        me=world.lead_me,
        emc=world.emc,
        solution=world.solution,
        user_ref="u-0007",
        occurred_at=at(D, 18),
        rating=1,
        expectation=5,
    )


def test_the_night_advances_the_window_sums_to_what_the_rollups_read_whole_give(judged, night, short_windows):
    D = judged.day
    night(D - dt.timedelta(days=1))  # no state before it: read whole (and D's own e1 already logged)
    assert WindowState.objects.get(name="judging", day=D - dt.timedelta(days=1)).advanced is False
    _late_events(judged)
    run = night(D)
    assert WindowState.objects.get(name="judging", day=D).advanced is True
    advanced_cards = _cards(D)

    # the sums themselves, advanced again from D - 1, against scoring's own read of every window
    read, advanced = window_sums(day=D, ingest_id=run.ingest_id, windows=WINDOWS)
    reference = partner_windows(ingest_id=run.ingest_id, windows=_spans(D))
    assert advanced is True
    assert _plain(read) == _plain(reference)
    p = judged.world.partner.pk
    # the one-day window of D: e1 100.00 less its 30.00 refund, the late 60.00 less its 10.00
    assert read[0]["value"][p]["CNY"] == {"events": 2, "net": 12000, "refunds": 2, "refund": 4000}
    # the day before it (D - 1) has the ratings only; the late 40.00 is in the 3 days of D
    assert p not in read[1]["value"] and read[1]["signals"][p]["ratings"] == 2
    assert read[2]["value"][p]["CNY"]["net"] == 16000

    # and the scorecards, figure for figure, with the sums read whole
    scorecards_compute(run_id=run.pk, rebuild=True)
    assert WindowState.objects.get(name="judging", day=D).advanced is False
    assert _cards(D) == advanced_cards
    assert {pid: revenue for pid, revenue, *_ in advanced_cards}[p] == 16000  # 70.00 + 40.00 + 50.00


def test_three_days_later_the_night_still_advances_the_sums_and_drops_the_old_state(
    judged, night, short_windows
):
    D = judged.day
    night(D - dt.timedelta(days=3))
    _late_events(judged)
    run = night(D)
    assert WindowState.objects.get(name="judging", day=D).advanced is True
    read, _ = window_sums(day=D, ingest_id=run.ingest_id, windows=WINDOWS)
    assert _plain(read) == _plain(partner_windows(ingest_id=run.ingest_id, windows=_spans(D)))
    # the states kept: D and the day before it at most, so D - 3's sums are gone
    assert list(WindowState.objects.filter(name="judging").values_list("day", flat=True)) == [D]
    assert WindowSum.objects.filter(state__name="judging", state__day=D).exists()


def test_changed_windows_read_the_sums_whole(judged, night, short_windows, settings):
    D = judged.day
    night(D - dt.timedelta(days=1))
    settings.JUDGING_WINDOWS = [1, 3, 30, 90]
    night(D)
    assert WindowState.objects.get(name="judging", day=D).advanced is False
    card = Scorecard.objects.get(day=D, partner=judged.world.partner)
    assert card.figures["windows"]["30"]["revenue"] == {"CNY": 7000}
