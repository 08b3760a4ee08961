"""The nightly users step: it reads and re-classifies only the users with rows recorded since the
state's mark and those whose class lapses by the date, and its class counts (the previous run's
plus what those users changed) equal a full count of the state."""

import datetime as dt

import pytest

from ledger import services as ledger_services
from scoring.models import ClassCount, StateMark, UserDay, UserState
from scoring.users import class_counts_store, users_state_update
from tests.scoring.conftest import at, run_night

pytestmark = pytest.mark.django_db


def counts(run_id: int) -> list[tuple]:
    return sorted(
        ClassCount.objects.filter(run_id=run_id).values_list(
            "scope", "scope_id", "klass", "users", "superior", "cocreation", "story", "related"
        )
    )


def lapsing_by(day: dt.date) -> set[tuple]:
    return set(
        UserState.objects.filter(lapses_on__lte=day.toordinal()).values_list("scope", "scope_id", "user_ref")
    )


def active_on(day: dt.date) -> set[tuple]:
    """The state rows of the users with rollup rows dated `day`, in their three scopes."""
    rows = UserDay.objects.filter(day_no=day.toordinal()).values_list("emc_id", "me_id", "user_ref")
    return {k for e, m, u in rows for k in (("eco", 0, u), ("emc", e, u), ("me", m, u))}


def test_the_users_step_touches_the_new_and_the_lapsing_users_only(scored):
    D = scored.day
    run_night(D - dt.timedelta(days=2))
    expected = lapsing_by(D - dt.timedelta(days=1)) | active_on(D - dt.timedelta(days=1))
    quiet = run_night(D - dt.timedelta(days=1))
    assert quiet.steps["users"]["result"]["mode"] == "advance"
    # nothing was recorded since: the rows dated the new day (recorded ahead) and the lapsing ones
    assert quiet.steps["users"]["result"]["classified"] == len(expected)
    assert UserState.objects.filter(stamp=quiet.pk).count() == len(expected)
    assert UserState.objects.count() > len(expected)

    w = scored.world
    ledger_services.value_event_log(
        actor=None,
        me=w.node_me,
        emc=w.emc,
        scenario=w.scenario,
        category=w.category,
        user_ref="u-newcomer",
        amount="10.00",
        currency="CNY",
        occurred_at=at(D),
    )
    ledger_services.user_signal_log(
        actor=None,
        kind="story",
        me=w.node_me,
        emc=w.emc,
        user_ref="u-newcomer",
        occurred_at=at(D),
        note="Told",
    )
    lapsing = lapsing_by(D) | active_on(D)  # the newcomer is not ingested yet
    night = run_night(D)
    result = night.steps["users"]["result"]
    assert result["mode"] == "advance"
    # the newcomer in its three scopes (the ecosystem, the EMC, the ME), plus the lapsing rows
    newcomer = {("eco", 0, "u-newcomer"), ("emc", w.emc.pk, "u-newcomer"), ("me", w.node_me.pk, "u-newcomer")}
    assert result["classified"] == len(lapsing | newcomer)
    state = UserState.objects.get(scope="me", scope_id=w.node_me.pk, user_ref="u-newcomer")
    assert (state.klass, state.held) == ("interactive", 4)  # paid, one signal (a story: bit 4)

    incremental = counts(night.pk)
    assert result["class_counts"] == len(incremental)
    class_counts_store(run_id=night.pk, day=D)  # a full pass over the state, for comparison
    assert counts(night.pk) == incremental


def test_a_mark_without_its_run_rebuilds(scored):
    D = scored.day
    run_night(D - dt.timedelta(days=1))
    StateMark.objects.update(run=None)  # e.g. the state of a version before the counts were kept
    night = run_night(D)
    assert night.steps["users"]["result"]["mode"] == "rebuild"


def state_rows() -> list[tuple]:
    """The active rows as they classify (a rebuild reads only the window's days, so it drops the
    older last days and the users with none, which an advance keeps: neither counts)."""
    return sorted(
        UserState.objects.exclude(klass="lapsed").values_list(
            "scope", "scope_id", "user_ref", "klass", "held", "lapses_on"
        )
    )


def test_users_whose_class_ages_out_are_found_across_gaps(scored, settings):
    """Short windows make classes lapse within the test's days. Each advance (one day, then
    gaps of three, two and four) must leave the state, and its counts, as a rebuild for the
    same day and ingest does: every user whose class lapsed on a day of the gap was found."""
    settings.SCORING_ACTIVE_DAYS, settings.SCORING_SIGNAL_DAYS, settings.SCORING_LIFELONG_SIGNALS = 4, 2, 1
    D, w = scored.day, scored.world
    for n, offset in enumerate((9, 8, 7, 6, 5, 3)):
        ledger_services.value_event_log(
            actor=None,
            me=w.node_me,
            emc=w.emc,
            scenario=w.scenario,
            category=w.category,
            user_ref=f"u-ager{n % 3}",
            amount="5.00",
            currency="CNY",
            occurred_at=at(D - dt.timedelta(days=offset)),
        )
        if n % 2:
            ledger_services.user_signal_log(
                actor=None,
                kind="story",
                me=w.node_me,
                emc=w.emc,
                user_ref=f"u-ager{n % 3}",
                occurred_at=at(D - dt.timedelta(days=offset)),
                note="Told",
            )
    run_night(D - dt.timedelta(days=8))
    active_first = {row[:3] for row in state_rows()}
    advanced = {}
    for day in (
        D - dt.timedelta(days=7),
        D - dt.timedelta(days=4),
        D - dt.timedelta(days=2),
        D + dt.timedelta(days=2),
    ):
        night = run_night(day)
        assert night.steps["users"]["result"]["mode"] == "advance"
        advanced[day] = (night, state_rows(), counts(night.pk))
    # the classes did age out: some users active on the first night are not on the last
    assert active_first - {row[:3] for row in advanced[D + dt.timedelta(days=2)][1]}

    for day, (night, rows, class_counts) in advanced.items():
        StateMark.objects.update(run=None)  # the same day and ingest, rebuilt
        assert users_state_update(day=day, ingest=night.ingest, stamp=night.pk)["mode"] == "rebuild"
        assert state_rows() == rows
        assert counts(night.pk) == class_counts
