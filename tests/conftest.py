"""Shared fixtures: role users, the database roles of the PostgreSQL pass, a real Celery worker
process, and a real Chromium."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from django.conf import settings

from tests import db_roles
from tests.factories import UserFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from that
# thread are still synchronous and safe, so allow them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "correct-horse-battery"


def _flushes_without_restoring(item) -> bool:
    """A transactional test (live_server implies one) without serialized_rollback: its flush
    re-creates content types under new ids (post_migrate), and the next test that restores the
    migrations' data (serialized_rollback) then fails on a duplicate content type."""
    marker = item.get_closest_marker("django_db")
    transactional = "live_server" in item.fixturenames or "transactional_db" in item.fixturenames
    if marker is not None:
        transactional = transactional or marker.kwargs.get("transaction", False)
    return transactional and not (marker is not None and marker.kwargs.get("serialized_rollback"))


def pytest_collection_modifyitems(config, items):
    has_broker = not settings.CELERY_TASK_ALWAYS_EAGER
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    careless = [item.nodeid for item in items if _flushes_without_restoring(item)]
    if careless:
        raise pytest.UsageError(
            "mark these django_db(transaction=True, serialized_rollback=True): " + ", ".join(careless)
        )
    for item in items:
        if "worker" in item.keywords and not has_broker:
            item.add_marker(pytest.mark.skip(reason="needs a Redis broker (second pass)"))
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (second pass)"))
        if "browser" in item.keywords and not CHROMIUM:
            item.add_marker(pytest.mark.skip(reason="chromium is not installed"))


# --- the PostgreSQL pass: the owner migrates, the application role runs (tests/db_roles.py) --


@pytest.fixture(autouse=True)
def _language_reset():
    """Each test starts in the default language: a request in zh-hans (the test client runs
    LocaleMiddleware in this thread) leaves it active, and a later test's English message
    would come out in Chinese."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """PostgreSQL: both roles exist; the owner role creates and migrates the test database."""
    if db_roles.on_postgres():
        db_roles.prepare()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """PostgreSQL: once migrated, everything connects as the application role, which owns
    nothing and may not change the append-only tables; the owner drops the database at the end."""
    if not db_roles.on_postgres():
        yield
        return
    db_roles.as_app()
    yield
    db_roles.as_owner()


@pytest.fixture
def user_with_role(db):
    """Make a user holding one of the five roles: `user_with_role("finance")`."""

    def make(role: str | None, **kwargs):
        return UserFactory(roles=[role] if role else [], **kwargs)

    return make


# --- a real Celery worker -------------------------------------------------------------------


def _test_database_url() -> str:
    """The test database as the tests see it: its name, and the role they connect as."""
    db = settings.DATABASES["default"]
    url = urlparse(os.environ["DATABASE_URL"])
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    netloc = f"{db['USER']}{password}@{url.hostname}" + (f":{url.port}" if url.port else "")
    return urlunparse(url._replace(netloc=netloc, path="/" + db["NAME"]))


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """Start `celery worker` as a separate process on the test database and the Redis broker."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("no broker configured")
    from config.celery import app

    with app.connection_for_write() as conn:  # start from an empty queue
        conn.default_channel.queue_purge("celery")
    (proc,) = celery_workers_start([f"pytest-{os.getpid()}"], queue="celery")
    yield proc
    celery_workers_stop([proc])


def celery_workers_start(names: list[str], *, queue: str) -> list[subprocess.Popen]:
    """Start one `celery worker` process per name, consuming only `queue` (so a test knows
    exactly how many workers share its tasks); stop them with `celery_workers_stop`."""
    from config.celery import app

    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "SCORING_QUEUE": queue,  # the scoring tasks a worker sends (the chord's) stay on its queue
    }
    procs = []
    for name in names:
        log = open(ROOT / f".pytest-celery-{name}.log", "w")  # noqa: SIM115 - the process holds it
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool=solo",
                    "--loglevel=INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "-Q",
                    queue,
                    "-n",
                    f"{name}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise RuntimeError("a celery worker exited early; see .pytest-celery-*.log")
        answered = {next(iter(r)).split("@")[0] for r in app.control.ping(timeout=1.0)}
        if set(names) <= answered:
            return procs
    celery_workers_stop(procs)
    raise RuntimeError(f"celery workers {names} did not answer a ping within 60 s")


def celery_workers_stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


# --- a real browser -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


# Every page reports what its Content-Security-Policy refused (the `securitypolicyviolation` event,
# and Chromium's console error for it) into `page.csp_violations`; a journey fails on any.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolation(
  `${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.documentURI}: ${e.sample}`));
"""


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(15_000)
    violations: list[str] = []
    context.expose_binding("__cspViolation", lambda _source, text: violations.append(text))
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    pg = context.new_page()
    pg.on(
        "console",
        lambda msg: (
            violations.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    pg.csp_violations = violations
    yield pg
    context.close()
    assert not violations, f"the Content-Security-Policy refused: {violations}"


@pytest.fixture
def login(page):
    """Log in through the real login form."""

    def do(username: str, password: str = DEMO_PASSWORD):
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        return page

    return do
