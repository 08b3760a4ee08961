"""An import whose process is killed (`kill -9`) mid-posting: a real server posting a
20,000-row upload (commit, no broker: the task runs in the server) is killed once its task has
started. Nothing was written; the sweep (beat, every minute; and every read of the batch) sees
that no process holds the batch any more and fails it with a message that says so, instead of
leaving it `posting` for LEDGER_IMPORT_STALE_HOURS; a retry with the same Idempotency-Key then
uploads it again and posts it, rather than replaying the old 202."""

import contextlib
import csv
import datetime as dt
import io
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ledger import services
from ledger.imports.batches import stopped_by_crash
from ledger.imports.rows import EVENT_COLUMNS
from ledger.models import ImportBatch, ValueEvent
from tests.conftest import ROOT, _test_database_url
from tests.ledger.factories import world_build
from tests.test_connections import PORT, _wait_until_serving

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ROWS = 20_000


def _file(world) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EVENT_COLUMNS)
    writer.writeheader()
    moment = (timezone.now() - dt.timedelta(hours=2)).isoformat()
    for i in range(ROWS):
        writer.writerow(
            {
                "kind": "payment",
                "ref": f"crash-{i}",
                "me_code": world.lead_me.code,
                "emc_code": world.emc.code,
                "scenario_code": world.scenario.code,
                "category_code": world.category.code,
                "user_ref": f"u-{i:06d}",
                "amount": "10.00",
                "currency": "CNY",
                "occurred_at": moment,
            }
        )
    return out.getvalue().encode()


def _multipart(raw: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nevents\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="commit"\r\n\r\ntrue\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n",
    ]
    body = "".join(parts).encode() + raw + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_killed_import_is_failed_within_minutes_and_its_retry_posts(tmp_path, settings, request):
    default_media = settings.MEDIA_ROOT  # where the suite's Celery worker reads uploads from
    settings.MEDIA_ROOT = tmp_path
    world = world_build()
    token = Token.objects.create(user=world.leader)
    raw = _file(world)
    body, content_type = _multipart(raw)
    key = str(uuid.uuid4())
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env.update(
        DATABASE_URL=_test_database_url(),
        DJANGO_SETTINGS_MODULE="config.settings.test",
        MEDIA_ROOT=str(tmp_path),
    )
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_serving(server)
        killed_upload = urllib.request.Request(
            f"http://127.0.0.1:{PORT}/api/imports/",
            data=body,
            method="POST",
            headers={
                "Authorization": f"Token {token.key}",
                "Content-Type": content_type,
                "Idempotency-Key": key,
            },
        )
        threading.Thread(target=lambda: _swallow(killed_upload), daemon=True).start()
        deadline = time.monotonic() + 120
        while not ImportBatch.objects.filter(status="posting", started_at__isnull=False).exists():
            assert time.monotonic() < deadline, "the import's task never started"
            time.sleep(0.05)
        time.sleep(1.0)  # well into the posting
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
    batch = ImportBatch.objects.get()
    assert batch.status == "posting"  # what it said at the moment of the kill
    assert ValueEvent.objects.count() == 0  # the posting had not committed: nothing written

    deadline = time.monotonic() + 30  # PostgreSQL notices the dead connection, frees its lock
    while not services.imports_dead_fail():
        assert time.monotonic() < deadline, "the dead import was not detected"
        time.sleep(0.2)
    batch.refresh_from_db()
    assert batch.status == "failed" and stopped_by_crash(batch), batch.error_report
    assert ValueEvent.objects.count() == 0

    api = APIClient()
    api.force_authenticate(world.leader)
    upload = io.BytesIO(raw)
    upload.name = "big.csv"
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        # with a broker the retry is queued like any large upload and the suite's real worker
        # takes it (one runner only: the test does not run the task beside it)
        request.getfixturevalue("celery_worker_process")
        settings.MEDIA_ROOT = default_media
    retry = api.post(
        "/api/imports/",
        {"kind": "events", "file": upload, "commit": "true"},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    body = retry.json()
    assert body["id"] != batch.pk  # a new upload, not the replay of the dead one's 202
    fresh = ImportBatch.objects.get(pk=body["id"])
    try:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            assert retry.status_code == 201, body  # ran again within the request
        else:
            assert retry.status_code == 202, body
            deadline = time.monotonic() + 180
            while fresh.status in ImportBatch.IN_PROGRESS or fresh.status == "validated":
                assert time.monotonic() < deadline, f"the worker left the retry {fresh.status}"
                time.sleep(0.2)
                fresh.refresh_from_db()
        assert fresh.status == "posted", fresh.error_report
    finally:
        fresh.file.delete(save=False)
    assert ValueEvent.objects.count() == ROWS


def _swallow(request):
    with contextlib.suppress(Exception):  # the server is killed under it
        urllib.request.urlopen(request, timeout=300).read()
