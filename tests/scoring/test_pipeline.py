"""The pipeline: cut-offs, re-runs byte for byte, incremental equal to rebuild, restatement,
one run at a time, resume after a failure, a broken ledger stops the night, bad input refused."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from config.errors import ConflictError
from ledger import services as ledger_services
from ledger.models import AccountDay
from orgs.models import AuditEntry
from scoring import pipeline, services
from scoring.models import NightlyRun, RunChunk, Snapshot, StateMark
from tests import db_roles
from tests.scoring.conftest import at, run_night

pytestmark = pytest.mark.django_db


def rows(run) -> str:
    """The run's snapshots as canonical text: byte-identical means this string is equal."""
    data = [
        [
            s.day.isoformat(),
            s.metric,
            s.subject_kind,
            s.subject_id,
            str(s.value),
            s.currency,
            str(s.score),
            s.figures,
            s.inputs,
        ]
        for s in Snapshot.objects.filter(run=run).order_by("metric", "subject_kind", "subject_id")
    ]
    return json.dumps(data, sort_keys=True)


def eco(run, metric):
    return Snapshot.objects.get(run=run, metric=metric, subject_kind="ecosystem").value


def test_a_rerun_of_a_date_gives_byte_identical_snapshots(scored):
    first = run_night(scored.day)
    before = rows(first)
    again = run_night(scored.day)
    assert again.pk == first.pk and again.runs == 2 and again.cutoff == first.cutoff
    assert again.steps["users"]["result"]["mode"] == "rebuild"
    assert rows(again) == before
    assert Snapshot.objects.filter(run=first).count() > 100


def test_the_incremental_night_equals_a_rebuild(scored):
    D = scored.day
    run_night(D - dt.timedelta(days=1))
    # a user signal recorded between the two nights, and a back-dated payment (occurred D-5)
    ledger_services.user_signal_log(
        actor=None,
        kind="story",
        me=scored.world.node_me,
        emc=scored.world.emc,
        user_ref="u-0002",
        occurred_at=at(D),
        note="Told a friend",
    )
    ledger_services.value_event_log(
        actor=None,
        me=scored.world.node_me,
        emc=scored.world.emc,
        scenario=scored.world.scenario,
        category=scored.world.category,
        user_ref="u-0009",
        amount="60.00",
        currency="CNY",
        occurred_at=at(D - dt.timedelta(days=5)),
    )
    night = run_night(D)
    assert night.steps["users"]["result"]["mode"] == "advance"
    incremental = rows(night)
    StateMark.objects.all().delete()  # as after a change of definitions: rebuild the state
    rebuilt = run_night(D)
    assert rebuilt.steps["users"]["result"]["mode"] == "rebuild"
    assert rows(rebuilt) == incremental
    assert eco(night, "user_paid_value") == 460  # the back-dated 60.00 reached the trailing window
    assert eco(night, "recommendation") == 40  # u-0001 and now u-0002 of 5 active users


def test_what_was_recorded_after_a_cutoff_does_not_change_that_date(scored):
    D = scored.day
    first = run_night(D)
    before = rows(first)
    ledger_services.value_event_log(
        actor=None,
        me=scored.world.lead_me,
        emc=scored.world.emc,
        scenario=scored.world.scenario,
        category=scored.world.category,
        user_ref="u-0010",
        amount="1000.00",
        currency="CNY",
        occurred_at=at(D),
    )
    run_night(D + dt.timedelta(days=1))
    assert rows(run_night(D)) == before  # re-run with its own cut-off: the late event is not there
    restated = run_night(D, restate=True)
    assert restated.pk != first.pk and restated.cutoff > first.cutoff
    assert eco(restated, "user_paid_value") == 1400
    first.refresh_from_db()
    assert first.superseded
    assert not Snapshot.objects.filter(run=first, superseded=False).exists()  # kept, marked superseded
    from scoring import selectors

    assert selectors.figure(metric="user_paid_value", day=D).value == 1400


def test_one_run_holds_the_pipeline_at_a_time(scored):
    held = services.run_start(run_date=scored.day)
    with pytest.raises(ConflictError):
        services.run_start(run_date=scored.day - dt.timedelta(days=1))
    assert services.run_start(run_date=scored.day).pk == held.pk  # a second start of the same run
    pipeline.run_inline(run_id=held.pk)
    assert run_night(scored.day - dt.timedelta(days=1)).status == "done"


def test_a_failed_run_tells_the_admins_and_resumes_where_it_stopped(
    scored, monkeypatch, mailoutbox, settings
):
    settings.SCORING_CHUNK_EMCS = 1  # two EMCs: two chunks
    real = pipeline.chunk_compute
    calls = []

    def flaky(*, run_id, number):
        calls.append(number)
        if number == 1 and calls.count(1) == 1:
            raise RuntimeError("worker lost its database")
        return real(run_id=run_id, number=number)

    monkeypatch.setattr(pipeline, "chunk_compute", flaky)
    run = services.run_start(run_date=scored.day)
    with pytest.raises(RuntimeError):
        pipeline.run_inline(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and "worker lost" in run.error and run.lock is None
    assert mailoutbox and "failed" in mailoutbox[0].subject
    assert scored.world.admin.email in mailoutbox[0].to
    run = services.run_resume(run=run)
    done = pipeline.run_inline(run_id=run.pk)
    assert done.status == "done"
    assert RunChunk.objects.get(run=run, number=0).attempts == 1  # not redone
    assert calls == [0, 1, 1]
    fresh = run_night(scored.day)
    assert rows(fresh) == rows(done)


def _rollup_corrupt(day) -> None:
    """Move one rollup off its legs: by the ORM on SQLite; on PostgreSQL only the owner can, with
    the rollups' guard off for the one statement (the application role may not write rollups)."""
    if not db_roles.on_postgres():
        AccountDay.objects.filter(pk=day.pk).update(net_minor=day.net_minor + 1)
        return
    with db_roles.owner_cursor() as cursor:
        cursor.execute("ALTER TABLE ledger_accountday DISABLE TRIGGER USER")
        cursor.execute("UPDATE ledger_accountday SET net_minor = net_minor + 1 WHERE id = %s", [day.pk])
        cursor.execute("ALTER TABLE ledger_accountday ENABLE TRIGGER USER")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_broken_ledger_fails_the_run_loudly(scored, mailoutbox):
    _rollup_corrupt(AccountDay.objects.order_by("id").first())
    run = services.run_start(run_date=scored.day)
    with pytest.raises(pipeline.LedgerBroken):
        pipeline.run_inline(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and "rollup" in run.error
    assert not Snapshot.objects.filter(run=run).exists()
    assert mailoutbox


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"date_from": "2999-01-01", "date_to": "2999-01-02"}, "date_from"),
        ({"date_from": "2020-01-01", "date_to": None}, "date_from"),
        ({"date_from": None, "date_to": None}, "date_to"),
        ({"date_from": None, "date_to": "yesterday"}, "date_to"),
    ],
)
def test_a_backfill_range_in_the_future_or_too_long_is_refused(kwargs, field):
    today = timezone.localdate()
    kwargs = {
        "date_from": kwargs["date_from"] or (today - dt.timedelta(days=3)).isoformat(),
        "date_to": kwargs["date_to"] or (today - dt.timedelta(days=5)).isoformat(),
    }
    with pytest.raises(ValidationError) as exc:
        services.backfill_range_check(**kwargs)
    assert field in exc.value.message_dict


def test_today_cannot_be_run_yet(admin):
    with pytest.raises(ValidationError) as exc:
        services.run_start(run_date=timezone.localdate(), actor=admin)
    assert "run_date" in exc.value.message_dict
    assert not NightlyRun.objects.exists()


def test_index_weights_are_validated_audited_and_apply_from_the_next_run(scored):
    admin = scored.world.admin
    with pytest.raises(ValidationError) as exc:
        services.index_weights_set(
            actor=admin, level="perspective", weights={"purpose": 50, "user": 30, "partner": 30}
        )
    assert "weights" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.index_weights_set(
            actor=admin, level="perspective", weights={"purpose": -10, "user": 60, "partner": 50}
        )
    assert "weights.purpose" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.index_weights_set(actor=admin, level="perspective", weights={"purpose": 50, "user": 50})
    with pytest.raises(ValidationError) as exc:
        services.metric_target_set(actor=admin, metric="customized", target="0")
    assert "target" in exc.value.message_dict
    held = services.run_start(run_date=scored.day)  # started before the change: keeps its config
    services.index_weights_set(
        actor=admin, level="perspective", weights={"purpose": 20, "user": 50, "partner": 30}
    )
    services.metric_target_set(actor=admin, metric="customized", target="60")
    assert (
        AuditEntry.objects.filter(action__in=["scoring.index_weights", "scoring.metric_target"]).count() == 2
    )
    old = pipeline.run_inline(run_id=held.pk)
    assert Snapshot.objects.get(run=old, metric="customized", subject_kind="ecosystem").score == 100
    new = run_night(scored.day - dt.timedelta(days=1))
    snap = Snapshot.objects.get(run=new, metric="customized", subject_kind="ecosystem")
    assert snap.score == (snap.value * 100 / 60).quantize(snap.score)
    assert new.config["perspectives"] == {"purpose": "20.00", "user": "50.00", "partner": "30.00"}


def test_the_apps_above_hear_of_a_done_night_once_it_is_committed(scored, django_capture_on_commit_callbacks):
    from scoring.signals import night_scored

    heard = []

    def receiver(sender, run_id, run_date, **kwargs):
        heard.append((run_id, run_date, NightlyRun.objects.get(pk=run_id).status))

    night_scored.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run = run_night(scored.day)
        assert heard == [(run.pk, scored.day, "done")]
        with django_capture_on_commit_callbacks(execute=True):
            pipeline.run_finish(run_id=run.pk)  # a retried finish of a done run sends nothing
        assert len(heard) == 1
    finally:
        night_scored.disconnect(receiver)


def test_a_sparse_backfill_computes_the_chosen_dates_and_sends_on_only_the_last(
    scored, django_capture_on_commit_callbacks
):
    """`nightly_run --every 7 --daily-last 3 --downstream-last 2` over 20 dates ending on D: the
    dates D-19 .. D counted back from D every 7th (D-14, D-7, D) and every date of the last 3
    (D-2, D-1, D); only D-1 and D announce the night (judging, payouts)."""
    from io import StringIO

    from django.core.management import call_command

    from scoring.signals import night_scored

    D = scored.day
    sent = []

    def receiver(sender, *, run_id, run_date, **kwargs):
        sent.append(run_date)

    night_scored.connect(receiver, dispatch_uid="test.sparse")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            call_command(
                "nightly_run",
                "--from",
                (D - dt.timedelta(days=19)).isoformat(),
                "--to",
                D.isoformat(),
                "--every",
                "7",
                "--daily-last",
                "3",
                "--downstream-last",
                "2",
                stdout=StringIO(),
            )
    finally:
        night_scored.disconnect(dispatch_uid="test.sparse")
    computed = sorted(NightlyRun.objects.values_list("run_date", flat=True))
    assert computed == [D - dt.timedelta(days=n) for n in (14, 7, 2, 1, 0)]
    assert sent == [D - dt.timedelta(days=1), D]
    assert [r.config["downstream"] for r in NightlyRun.objects.order_by("run_date")] == [
        False,
        False,
        False,
        True,
        True,
    ]
