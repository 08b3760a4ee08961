"""The nightly payout step on a real Celery worker, killed (SIGKILL) in the middle of writing a
draft's lines: nothing of it is left; the re-run writes every line once; locking posts one payable.

The test holds an uncommitted line with a key the worker will write, in a connection of its
own, so the worker is caught mid-way (its old lines deleted, its INSERT waiting on the key),
then killed. Runs in the PostgreSQL + Redis pass."""

import datetime as dt
import os
import signal
import time
import uuid

import psycopg
import pytest
from django.utils import timezone

from ledger.models import Transaction
from payouts import services
from payouts.models import PayoutLine, PayoutReport
from payouts.tasks import night_compute
from tests.conftest import _test_database_url, celery_workers_start, celery_workers_stop
from tests.factories import MembershipFactory, UserFactory
from tests.payouts.conftest import JUNE, payer, payout_world_build

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _blocking_line(conn, report: PayoutReport, *, emc_id: int, me_id: int, user_id: int) -> None:
    """Insert (uncommitted) the member line the worker will write: its insert of the key waits."""
    key = f"member:{emc_id}:{me_id}:{user_id}"
    fields = [f for f in PayoutLine._meta.concrete_fields if not f.primary_key]
    values = {f.column: f.get_default() for f in fields}
    values.update(report_id=report.pk, key=key, kind="member", emc_id=emc_id, me_id=me_id, user_id=user_id)
    values.update(currency="CNY", explanation="{}")
    columns = ", ".join(f'"{c}"' for c in values)
    marks = ", ".join(["%s"] * len(values))
    conn.execute(f"INSERT INTO payouts_payoutline ({columns}) VALUES ({marks})", list(values.values()))


def _worker_waiting(conn) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        " AND query ~ '^(INSERT INTO|COPY) \"?payouts_payoutline'"  # the ORM's INSERT or lines_replace's
    ).fetchone()
    return row[0] > 0


def _until(check, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_a_killed_nightly_step_leaves_nothing_and_the_rerun_writes_each_line_once():
    world = payout_world_build()
    pay = payer(world)
    pay("8000.00", JUNE + dt.timedelta(days=2))
    [rid] = services.payout_night_compute(run_date=JUNE)
    report = PayoutReport.objects.get(pk=rid)
    before = dict(PayoutLine.objects.filter(report=report).values_list("key", "value_minor"))
    pay("4000.00", JUNE + dt.timedelta(days=5))  # tonight's run has more to write
    carol = MembershipFactory(me=world.lead_me, weight=20, joined_on=JUNE).user  # and a new line

    queue = f"payouts-test-{uuid.uuid4().hex[:8]}"
    blocker = psycopg.connect(_test_database_url())
    watcher = psycopg.connect(_test_database_url(), autocommit=True)
    (proc,) = celery_workers_start([f"payouts-kill-{uuid.uuid4().hex[:6]}"], queue=queue)
    try:
        _blocking_line(blocker, report, emc_id=world.emc.pk, me_id=world.lead_me.pk, user_id=carol.pk)
        night_compute.apply_async(args=[JUNE.isoformat()], queue=queue)
        _until(lambda: _worker_waiting(watcher))  # mid-way: old lines deleted, inserting
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)
    finally:
        blocker.rollback()
        blocker.close()
        celery_workers_stop([proc])
    try:
        _until(lambda: not _worker_waiting(watcher))
    finally:
        watcher.close()

    # nothing of the killed run remains: the old lines, once each, the old figures
    report.refresh_from_db()
    assert report.computations == 1
    assert dict(PayoutLine.objects.filter(report=report).values_list("key", "value_minor")) == before

    # the re-run on a fresh worker (the killed message is not redelivered before the broker's
    # visibility timeout: the night sends the task again) writes each line once
    (proc,) = celery_workers_start([f"payouts-rerun-{uuid.uuid4().hex[:6]}"], queue=queue)
    try:
        for _ in range(2):
            night_compute.apply_async(args=[JUNE.isoformat()], queue=queue).get(timeout=60)
    finally:
        celery_workers_stop([proc])
    report.refresh_from_db()
    assert report.computations == 3
    keys = list(PayoutLine.objects.filter(report=report).values_list("key", flat=True))
    assert len(keys) == len(set(keys)) == len(before) + 1  # carol's line, once
    assert PayoutLine.objects.get(report=report, key=f"emc:{world.emc.pk}").value_minor == 1_200_000

    finance, finance2 = UserFactory(roles=["finance"]), UserFactory(roles=["finance"])
    services.payout_report_submit(actor=finance, report=report)
    services.payout_report_approve(actor=finance2, report=report)
    services.payout_report_lock(actor=finance, report=report)
    with pytest.raises(Exception, match="already locked"):
        services.payout_report_lock(actor=finance2, report=report)
    assert Transaction.objects.filter(kind="adjustment", recorded_at__lte=timezone.now()).count() == 1
