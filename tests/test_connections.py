"""Database connections stay bounded on every server the README names: a real `runserver` (what
bin/demo serves) and a real `gunicorn config.wsgi` on PostgreSQL take 50 concurrent requests,
all answered, while PostgreSQL never sees more of their connections than the pool (runserver) or
the worker count (gunicorn), during the burst and after it."""

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.authtoken.models import Token

from tests.conftest import ROOT, _test_database_url
from tests.factories import MicroenterpriseFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = int(os.environ.get("TEST_SERVER_PORT") or _free_port())
BURST = 50
POOL = 4
WORKERS = 2


def _server_connections(app_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
            [settings.DATABASES["default"]["NAME"], app_name],
        )
        return cursor.fetchone()[0]


def _wait_until_serving(proc, deadline_s=60):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited early ({proc.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", PORT), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not listen in time")


def _get(path: str, token: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}{path}", headers={"Authorization": f"Token {token}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        return response.status


def _burst(command: list[str], app_name: str, extra_env: dict, base_env=None) -> tuple[list[int], int, int]:
    """Start the server, fire BURST concurrent requests, return their statuses and the peak and
    final number of the server's connections."""
    user = UserFactory(roles=["auditor"])
    token = Token.objects.create(user=user).key
    for _ in range(3):
        MicroenterpriseFactory()
    env = {
        **(os.environ if base_env is None else base_env),
        "DATABASE_URL": _test_database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "PGAPPNAME": app_name,  # libpq names the server's connections, so we count only those
        "ALLOWED_HOSTS": "127.0.0.1",
        **extra_env,
    }
    log = open(ROOT / f".pytest-{app_name}.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    peak, stop = [0], threading.Event()

    def watch():
        try:
            while not stop.is_set():
                peak[0] = max(peak[0], _server_connections(app_name))
                time.sleep(0.02)
        finally:
            connection.close()  # this thread's own connection

    try:
        _wait_until_serving(proc)
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            paths = ["/api/mes/", "/api/me/", "/healthz"] * BURST
            with ThreadPoolExecutor(max_workers=BURST) as pool:
                statuses = list(pool.map(lambda p: _get(p, token), paths[:BURST]))
            time.sleep(0.5)
        finally:
            stop.set()
            watcher.join()
        after = _server_connections(app_name)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    return statuses, peak[0], after


def test_runserver_holds_at_most_the_pool(transactional_db):
    statuses, peak, after = _burst(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload"],
        "rh-test-runserver",
        {"DB_POOL_MAX_SIZE": str(POOL)},
    )
    assert statuses == [200] * BURST
    assert 0 < peak <= POOL and after <= POOL, (peak, after)


def test_gunicorn_holds_at_most_one_connection_per_worker(transactional_db):
    """gunicorn.conf.py sizes each worker's pool to its threads (one here)."""
    env = {k: v for k, v in os.environ.items() if k != "DB_POOL_MAX_SIZE"}
    statuses, peak, after = _burst(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{PORT}", "-w", str(WORKERS)],
        "rh-test-gunicorn",
        {},
        base_env=env,
    )
    assert statuses == [200] * BURST
    assert 0 < peak <= WORKERS and after <= WORKERS, (peak, after)
