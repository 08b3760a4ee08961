"""The trailing-window sums kept as state (scoring/windows.py) against the rollups read whole.

Five nights over the world of tests/scoring/conftest.py, with windows short enough (a 3-day
period, a 5-day year) that days leave them between two nights; before each night new payments
(one on the night's day with a partner and a solution, back-dated ones inside and outside the
period), a refund and back-dated signals are recorded; the nights are one day apart, then three
(a gap the state advances over), then eight (beyond MAX_GAP_DAYS: read whole), then one. Each
night the inputs the chunks and the ecosystem read from the state equal, figure for figure,
what the rollups give read whole (`_read_whole`: the queries `Inputs` ran before the sums were
kept), and the state equals the one a rebuild reads whole.
"""

import datetime as dt

import pytest
from django.db.models import Sum

from ledger import services as ledger_services
from scoring import windows
from scoring.inputs import Inputs, Window, me_inputs
from scoring.models import (
    CategoryDay,
    EarnedDay,
    PartnerDay,
    SignalDay,
    SolutionDay,
    ValueDay,
    WindowState,
    WindowSum,
)
from tests.scoring.conftest import at, run_night

pytestmark = pytest.mark.django_db

FIELDS = (
    "value",
    "value_previous",
    "categories",
    "solutions",
    "partner_value",
    "partner_value_previous",
    "earned_year",
    "earned_period",
    "signals",
)


@pytest.fixture
def short(settings):
    settings.SCORING_PERIOD_DAYS = 3
    settings.SCORING_YEAR_DAYS = 5


def _read_whole(w: Window, emc_ids: list[int] | None) -> dict:
    """The rollups read whole over each window, grouped per EMC (or for the whole ecosystem,
    key 0): what `Inputs._load_rollups` read before the sums were kept as state."""
    out = {name: {} for name in FIELDS}

    def rollup(model, bounds):
        qs = model.objects.filter(ingest_id__lte=w.ingest_id, day__gte=bounds[0], day__lte=bounds[1])
        return qs if emc_ids is None else qs.filter(emc_id__in=emc_ids)

    def group(*fields):
        return ([] if emc_ids is None else ["emc_id"]) + list(fields)

    def key(row):
        return 0 if emc_ids is None else row["emc_id"]

    for target, bounds in ((out["value"], w.period), (out["value_previous"], w.previous_period)):
        for r in (
            rollup(ValueDay, bounds)
            .values(*group("currency"))
            .annotate(
                payments=Sum("payments"),
                customized=Sum("customized"),
                net=Sum("net_minor"),
                noncore=Sum("noncore_net_minor"),
            )
            .order_by()
        ):
            target.setdefault(key(r), {})[r["currency"]] = {
                k: r[k] or 0 for k in ("payments", "customized", "net", "noncore")
            }
    for r in (
        rollup(CategoryDay, w.year)
        .values(*group("category_id", "currency"))
        .annotate(net=Sum("net_minor"))
        .filter(net__gt=0)
        .order_by()
    ):
        out["categories"].setdefault(key(r), set()).add(r["category_id"])
    for r in (
        rollup(SolutionDay, w.period)
        .values(*group("solution_id", "currency"))
        .annotate(net=Sum("net_minor"))
        .order_by()
    ):
        out["solutions"].setdefault(key(r), {}).setdefault(r["currency"], {})[r["solution_id"]] = r["net"]
    for target, bounds in (
        (out["partner_value"], w.period),
        (out["partner_value_previous"], w.previous_period),
    ):
        for r in (
            rollup(PartnerDay, bounds)
            .values(*group("partner_id", "currency"))
            .annotate(net=Sum("value_minor"))
            .order_by()
        ):
            target.setdefault(key(r), {}).setdefault(r["currency"], {})[r["partner_id"]] = r["net"]
    for target, rows in (
        (out["earned_year"], rollup(EarnedDay, w.year).filter(owner_kind="partner")),
        (out["earned_period"], rollup(EarnedDay, w.period)),
    ):
        for r in (
            rows.values(*group("owner_kind", "owner_id", "currency"))
            .annotate(earned=Sum("earned_minor"))
            .order_by()
        ):
            target.setdefault(key(r), {}).setdefault((r["owner_kind"], r["owner_id"]), {})[r["currency"]] = r[
                "earned"
            ]
    names = ("ratings", "ratings_above", "margin_sum", "cocreations", "stories", "related")
    signal_days = rollup(SignalDay, w.period)
    sums = {n: Sum(n) for n in names}
    grouped = (
        [signal_days.aggregate(**sums)]
        if emc_ids is None
        else signal_days.values("emc_id").annotate(**sums).order_by()
    )
    for r in grouped:
        if r["ratings"] is not None:
            out["signals"][key(r)] = {n: r[n] or 0 for n in names}
    return out


def _me_whole(w: Window) -> dict:
    """What `me_inputs` read whole before (value, earned, signals per ME over the period)."""
    start, end = w.period
    bounded = {"ingest_id__lte": w.ingest_id, "day__gte": start, "day__lte": end}
    value, earned = {}, {}
    for r in (
        ValueDay.objects.filter(**bounded)
        .values("me_id", "currency")
        .annotate(net=Sum("net_minor"), noncore=Sum("noncore_net_minor"))
        .order_by()
    ):
        value.setdefault(r["me_id"], {})[r["currency"]] = (r["net"], r["noncore"])
    for r in (
        EarnedDay.objects.filter(owner_kind="me", **bounded)
        .values("owner_id", "currency")
        .annotate(e=Sum("earned_minor"))
        .order_by()
    ):
        earned.setdefault(r["owner_id"], {})[r["currency"]] = r["e"]
    signals = {
        r["me_id"]: r
        for r in SignalDay.objects.filter(**bounded)
        .values("me_id")
        .annotate(ratings=Sum("ratings"), ratings_above=Sum("ratings_above"), cocreations=Sum("cocreations"))
        .order_by()
    }
    return {"value": value, "earned": earned, "signals": signals}


def _from_state(w: Window, emc_ids: list[int] | None) -> dict:
    inp = Inputs(window=w, emc_ids=emc_ids)
    inp._load_rollups()
    return {name: getattr(inp, name) for name in FIELDS}


def _record_before(scored, day: dt.date, n: int) -> None:
    """Payments on `day` (partner, solution), 1 and 4 days before it (back-dated), a refund of the
    first, a rating on the day and a co-creation 2 days before it."""
    world = scored.world

    def pay(on, amount, me, **kw):
        return ledger_services.value_event_log(
            actor=None,
            me=me,
            emc=world.emc,
            scenario=world.scenario,
            category=world.category,
            user_ref=f"u-1{n:03d}",
            amount=amount,
            currency="CNY",
            occurred_at=at(on),
            **kw,
        )

    today = pay(day, f"{10 + n}.00", world.lead_me, solution=world.solution, partners=[world.partner])
    pay(day - dt.timedelta(days=1), "7.00", world.node_me, partners=[])
    pay(day - dt.timedelta(days=4), "3.00", world.lead_me)
    ledger_services.value_event_refund(actor=None, original=today, amount="2.00", occurred_at=at(day, 16))
    for kind, on, kw in (
        ("rating", day, {"rating": 4, "expectation": 3}),
        ("co_creation", day - dt.timedelta(days=2), {"co_creation_kind": "idea"}),
    ):
        ledger_services.user_signal_log(
            actor=None,
            kind=kind,
            me=world.node_me,
            emc=world.emc,
            user_ref=f"u-1{n:03d}",
            occurred_at=at(on, 11),
            **kw,
        )


def test_the_sums_advanced_night_by_night_equal_the_rollups_read_whole(scored, short):
    D = scored.day
    emcs = [scored.world.emc.pk, scored.empty.pk]
    nights = [(D - dt.timedelta(days=12), False), (D - dt.timedelta(days=11), True)]
    nights += [(D - dt.timedelta(days=8), True), (D, False), (D + dt.timedelta(days=1), True)]
    shape = windows.scoring_shape()
    for n, (day, advanced) in enumerate(nights):
        _record_before(scored, day, n)
        run = run_night(day)
        assert run.steps["windows"]["result"]["advanced"] is advanced, day
        w = Window(day=day, ingest_id=run.ingest_id, cutoff=run.cutoff, run_id=run.pk)
        for emc_ids in (emcs, [scored.empty.pk], None):
            assert _from_state(w, emc_ids) == _read_whole(w, emc_ids), (day, emc_ids)
        assert {k: v for k, v in me_inputs(w).items() if k != "users"} == _me_whole(w), day
        # and the state itself equals the one read whole
        state = WindowState.objects.get(name="scoring", day=day)
        kept = windows.sums_read(state)
        rebuilt = windows.window_sums(shape, day=day, ingest_id=run.ingest_id, rebuild=True)
        assert rebuilt.advanced is False and windows.sums_read(rebuilt) == kept, day
    # by hand, the last night (D + 1, its period D-1..D+1): the fixture's e1 100.00 on D, e2
    # 300.00 on D-1, e3 40.00 on D refunded in full; the night of D's 13.00 on D less 2.00, its
    # 7.00 on D-1 (its 3.00 on D-4 is out); the night of D+1's 14.00 less 2.00, 7.00 on D (its
    # 3.00 on D-3 is out)
    cny = _from_state(w, None)["value"][0]["CNY"]
    assert cny["net"] == 10000 + 30000 + 1100 + 700 + 1200 + 700
    assert cny["payments"] == 7
    # the states kept: the newest and the day before it
    assert sorted(WindowState.objects.filter(name="scoring").values_list("day", flat=True)) == [
        D,
        D + dt.timedelta(days=1),
    ]
    assert WindowSum.objects.filter(state__name="scoring", state__day=D + dt.timedelta(days=1)).exists()


def test_a_resumed_chunk_whose_state_is_gone_makes_it_again(scored):
    run = run_night(scored.day)
    WindowState.objects.filter(name="scoring").delete()
    w = Window(day=scored.day, ingest_id=run.ingest_id, cutoff=run.cutoff, run_id=run.pk)
    assert _from_state(w, None) == _read_whole(w, None)
    assert WindowState.objects.get(name="scoring", day=scored.day).ingest_id == run.ingest_id
