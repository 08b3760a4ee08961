"""Journey 1 in a real Chromium: each role logs in and lands on the dashboard; a wrong password
shows an error and opens no session."""

import pytest

ROLES = ["platform_admin", "me_leader", "me_member", "finance", "auditor"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_each_role_logs_in_and_lands_on_the_dashboard(user_with_role, login, page):
    from django.utils import translation

    from orgs.roles import Role

    for role in ROLES:
        user_with_role(role, username=f"demo-{role}")
        login(f"demo-{role}")
        page.wait_for_url("**/")
        assert page.get_by_test_id("page-title").inner_text() == "Dashboard"
        with translation.override("en"):
            label = str(Role(role).label)
        assert label in page.get_by_test_id("whoami").inner_text()
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url("**/login/")


def test_wrong_password_shows_an_error_and_no_session(user_with_role, login, page):
    user_with_role("finance", username="fin")
    login("fin", "not-the-password")
    assert page.get_by_test_id("login-error").is_visible()
    assert not any(c["name"] == "sessionid" for c in page.context.cookies())
    page.goto("/")
    assert "/login/" in page.url


def test_repeated_wrong_passwords_lock_the_account_with_a_clear_message(user_with_role, login, page):
    user_with_role("finance", username="fin")
    for i in range(4):
        login("fin", f"guess-{i}")
        assert page.get_by_test_id("login-error").is_visible()
    login("fin", "guess-4")
    message = page.get_by_test_id("locked-out")
    assert "Too many failed logins" in message.inner_text() and "15 minutes" in message.inner_text()
    login("fin")  # the right password, too late: still locked out from this address
    assert page.get_by_test_id("locked-out").is_visible()
    assert not any(c["name"] == "sessionid" for c in page.context.cookies())
