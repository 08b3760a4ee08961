"""The foundation: health, error bodies, auth pages, roles, the nightly task, settings modes."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.authtoken.models import Token

from scoring.models import NightlyRun
from scoring.tasks import nightly_pipeline


def days_ago(n: int) -> str:
    """A past date within the scoring's back-dating window (SCORING_BACKFILL_MAX_DAYS)."""
    import datetime as dt

    from django.utils import timezone

    return (timezone.localdate() - dt.timedelta(days=n)).isoformat()


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_down(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from config.celery import app

    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = old
    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False


@pytest.mark.django_db
def test_missing_page_is_a_friendly_page_not_a_trace(client, user_with_role):
    client.force_login(user_with_role("me_member"))
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b"Traceback" not in response.content


@pytest.mark.django_db
def test_missing_api_route_answers_json(client):
    response = client.get("/api/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json() == {"status": 404, "code": "not_found", "detail": "Not found."}


@pytest.mark.django_db
def test_bad_api_token_gets_a_json_error(client):
    response = client.get("/api/me/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == 401 and body["code"] == "authentication_failed"
    assert "Invalid token" in body["detail"]


@pytest.mark.django_db
def test_good_api_token_is_accepted(client, user_with_role):
    token = Token.objects.create(user=user_with_role("auditor"))
    response = client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response.json()["username"] == token.user.username
    assert response.json()["roles"] == ["auditor"]


@pytest.mark.django_db
def test_api_without_credentials_is_refused_with_json(client):
    response = client.get("/api/me/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_schema_is_public_openapi_3(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"openapi: 3" in response.content


@pytest.mark.django_db
def test_api_docs_serve_offline_assets(client, user_with_role):
    client.force_login(user_with_role("auditor"))
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()


@pytest.mark.django_db
def test_wrong_password_shows_an_error_and_opens_no_session(client, user_with_role):
    user_with_role("finance", username="fin")
    response = client.post(reverse("orgs:login"), {"username": "fin", "password": "wrong"})
    assert response.status_code == 200
    assert b"do not match" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_dashboard_needs_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("orgs:login"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["platform_admin", "me_leader", "me_member", "finance", "auditor"])
def test_each_role_sees_the_dashboard_with_its_role(client, user_with_role, role):
    user = user_with_role(role)
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    from orgs.roles import Role

    assert str(Role(role).label) in response.content.decode()


@pytest.mark.django_db
def test_chinese_locale_translates_the_shell(client, user_with_role):
    client.force_login(user_with_role("auditor"))
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = client.get("/").content.decode()
    assert "仪表板" in html


@pytest.mark.django_db
def test_nightly_pipeline_is_idempotent_for_a_date():
    nightly_pipeline.apply(args=[days_ago(30)]).get()
    nightly_pipeline.apply(args=[days_ago(30)]).get()
    run = NightlyRun.objects.get()
    assert run.run_date.isoformat() == days_ago(30)
    assert run.runs == 2 and run.status == NightlyRun.Status.DONE


def test_beat_schedule_runs_the_pipeline_at_nightly_at():
    entry = settings.CELERY_BEAT_SCHEDULE["nightly-pipeline"]
    hour, minute = (int(x) for x in settings.NIGHTLY_AT.split(":"))
    assert entry["task"] == "scoring.nightly_pipeline"
    assert entry["schedule"].hour == {hour} and entry["schedule"].minute == {minute}


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 20 + "a-real-long-random-secret-key-for-this-test-0123456789",
        "ALLOWED_HOSTS": "orgs.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_runs_the_nightly_pipeline(celery_worker_process):
    import time

    result = nightly_pipeline.delay(days_ago(20))
    payload = result.get(timeout=60)  # the run is started; its chunks fan out to the worker
    run = NightlyRun.objects.get(run_date=days_ago(20))
    deadline = time.monotonic() + 60
    while run.status not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.3)
        run.refresh_from_db()
    assert run.status == "done", run.error
    assert run.runs == 1
    assert payload["run_id"] == run.pk


@pytest.mark.django_db
def test_dashboard_charts_show_the_last_30_days_of_user_paid_value(client, user_with_role):
    import datetime as dt

    from django.utils import timezone

    from ledger import services
    from tests.ledger.factories import world_build

    # given 100.00 paid and 10.00 refunded today, and 7.77 paid 40 days ago (the rollups come
    # from the postings: on PostgreSQL nothing else may write them)
    world = world_build()
    today = timezone.localdate()
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time()))

    def pay(amount, at):
        return services.value_event_log(
            actor=world.leader,
            me=world.lead_me,
            emc=world.emc,
            scenario=world.scenario,
            category=world.category,
            user_ref="u-chart",
            amount=amount,
            currency="CNY",
            occurred_at=at,
        )

    payment = pay("100.00", midnight + dt.timedelta(seconds=1))
    services.value_event_refund(
        actor=world.leader, original=payment, amount="10.00", occurred_at=midnight + dt.timedelta(seconds=2)
    )
    pay("7.77", midnight - dt.timedelta(days=40))
    client.force_login(user_with_role("finance"))
    response = client.get("/")
    daily = response.context["panel"]["overview"]["daily_value"]
    assert len(daily["labels"]) == 30 and daily["labels"][-1] == today.isoformat()
    assert daily["series"]["CNY"][-1] == "90.00"  # 100.00 paid less 10.00 refunded
    assert "777" not in str(daily["series"])  # older than 30 days: not on the chart
    assert b"daily-value-chart" in response.content


@pytest.mark.django_db
def test_nightly_run_command_runs_in_process_when_no_worker_answers(settings, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(app.control, "ping", lambda timeout: [])
    out = StringIO()
    call_command("nightly_run", "--date", days_ago(40), stdout=out)
    assert "no worker answered" in out.getvalue()
    assert NightlyRun.objects.get(run_date=days_ago(40)).status == NightlyRun.Status.DONE


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_nightly_run_command_queues_to_a_live_worker(celery_worker_process):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("nightly_run", "--date", days_ago(50), stdout=out)
    assert "queued to the worker" in out.getvalue()
    assert NightlyRun.objects.get(run_date=days_ago(50)).runs == 1
