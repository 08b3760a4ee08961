"""Login throttling, tried as an attacker would: wrong passwords in a row lock that account out from
that address (the right password no longer works), with a clear page, an audit row and an admin
unlock; the real user at another address is not locked out, behind the TLS proxy too."""

import datetime as dt
from base64 import b64encode

import pytest
from axes.models import AccessAttempt
from django.test import Client

from orgs.models import AuditEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture
def victim():
    user = UserFactory(username="fin", roles=["finance"])
    user.set_password(PASSWORD)
    user.save()
    return user


def _try(client, password, *, path="/login/", **headers):
    return client.post(path, {"username": "fin", "password": password}, **headers)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_the_account_and_then_the_right_one_fails(client, victim, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    answers = [_try(client, f"guess-{i}").status_code for i in range(5)]
    assert answers == [200, 200, 200, 200, 429]
    locked = _try(client, PASSWORD)
    assert locked.status_code == 429 and not _logged_in(client)
    assert b'data-testid="locked-out"' in locked.content
    assert b"15 minutes" in locked.content and locked["Retry-After"] == "900"
    for i in range(3):  # further tries while locked out are not new lockouts
        _try(client, f"again-{i}")
    audit = AuditEntry.objects.filter(action="auth.login_locked_out")
    assert audit.count() == 1
    assert audit.get().changes == {"username": "fin", "ip_address": "127.0.0.1", "failures": 5}


def test_a_right_password_before_the_limit_forgets_the_slips(client, victim):
    for i in range(4):
        _try(client, f"slip-{i}")
    assert _try(client, PASSWORD).status_code == 302 and _logged_in(client)
    assert not AccessAttempt.objects.filter(username="fin").exists()


def test_the_lockout_ends_after_the_cool_off(client, victim):
    for i in range(5):
        _try(client, f"guess-{i}")
    assert _try(client, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    assert _try(client, PASSWORD).status_code == 302 and _logged_in(client)


def test_the_attacker_does_not_lock_out_the_user_at_another_address(victim):
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for i in range(6):
        _try(attacker, f"guess-{i}")
    assert _try(attacker, PASSWORD).status_code == 429
    user = Client(REMOTE_ADDR="198.51.100.7")
    assert _try(user, PASSWORD).status_code == 302 and _logged_in(user)


def test_behind_the_proxy_the_forwarded_address_counts_and_a_forged_one_is_ignored(victim, settings):
    settings.TRUSTED_PROXIES = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}  # every request arrives from the TLS proxy
    attacker = Client(**proxy)
    for i in range(5):
        # the attacker writes a fresh address each time; the proxy appends the one it saw
        forged = f"192.0.2.{i}, 203.0.113.66"
        _try(attacker, f"guess-{i}", HTTP_X_FORWARDED_FOR=forged)
    assert _try(attacker, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.66").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.66"}
    # the proxy's own address is shared by everyone: the real user still gets in
    user = Client(**proxy)
    assert _try(user, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 302


def test_the_django_admin_login_is_throttled_too(client, victim):
    victim.is_staff = True
    victim.save()
    for i in range(5):
        _try(client, f"guess-{i}", path="/admin/login/")
    response = _try(client, PASSWORD, path="/admin/login/")
    assert response.status_code == 429 and not _logged_in(client)


def test_an_admin_unlocks_with_a_reason_and_the_audit_keeps_it(client, victim):
    for i in range(5):
        _try(client, f"guess-{i}")
    admin = UserFactory(username="ada", roles=["platform_admin"], is_staff=True)
    staff = Client()
    staff.force_login(admin)
    page = staff.get("/admin/axes/accessattempt/")
    assert page.status_code == 200 and b"fin" in page.content
    attempt = AccessAttempt.objects.get(username="fin")
    response = staff.post(
        "/admin/axes/accessattempt/",
        {"action": "unlock", "_selected_action": [attempt.pk], "reason": "phoned in, verified"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    entry = AuditEntry.objects.get(action="auth.login_unlocked")
    assert (entry.actor, entry.reason, entry.changes["username"]) == (admin, "phoned in, verified", "fin")
    assert _try(client, PASSWORD).status_code == 302 and _logged_in(client)


def test_only_platform_admins_see_the_login_attempts(victim):
    finance = Client()
    finance.force_login(UserFactory(roles=["finance"], is_staff=True))
    assert finance.get("/admin/axes/accessattempt/").status_code == 403


def test_the_lockout_page_speaks_chinese(client, victim):
    client.cookies["django_language"] = "zh-hans"
    for i in range(5):
        response = _try(client, f"guess-{i}")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_no_api_path_checks_a_password(client, victim):
    """The API takes tokens and sessions only: HTTP Basic with the right password is refused, so no
    API path is an unthrottled way to guess passwords."""
    basic = b64encode(f"fin:{PASSWORD}".encode()).decode()
    response = client.get("/api/me/", HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code in (401, 403)
