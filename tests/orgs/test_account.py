"""The user's own account: an API token made on a page (shown once), replaced and revoked, each
audited without the key; passwords changed, or reset by mail when forgotten."""

import re

import pytest
from django.core import mail
from rest_framework.authtoken.models import Token

from orgs.models import AuditEntry
from tests.factories import DEMO_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _api(client, key):
    return client.get("/api/mes/", HTTP_AUTHORIZATION=f"Token {key}").status_code


def test_a_user_makes_a_token_sees_it_once_and_the_api_takes_it(client):
    user = UserFactory(roles=["me_member"])
    client.force_login(user)
    assert 'data-testid="token-create"' in client.get("/account/").content.decode()
    response = client.post("/account/token/")
    key = Token.objects.get(user=user).key
    assert key in response.content.decode()
    assert key not in client.get("/account/").content.decode()  # never shown again
    entry = AuditEntry.objects.get(action="api_token.create", object_id=str(user.pk))
    assert key not in str(entry.changes) and entry.actor == user
    client.logout()
    assert _api(client, key) == 200


def test_a_new_token_replaces_the_old_one(client):
    user = UserFactory(roles=["me_member"])
    client.force_login(user)
    client.post("/account/token/")
    old = Token.objects.get(user=user).key
    client.post("/account/token/")
    new = Token.objects.get(user=user).key
    client.logout()
    assert old != new and _api(client, old) == 401 and _api(client, new) == 200


def test_revoking_needs_a_confirmation_and_then_the_token_is_refused(client):
    user = UserFactory(roles=["me_member"])
    client.force_login(user)
    client.post("/account/token/")
    key = Token.objects.get(user=user).key
    assert client.post("/account/token/revoke/").status_code == 400
    assert Token.objects.filter(user=user).exists()
    assert client.post("/account/token/revoke/", {"confirm": "on"}).status_code == 302
    assert not Token.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(action="api_token.revoke", object_id=str(user.pk)).exists()
    client.logout()
    assert _api(client, key) == 401


def test_a_token_is_only_ever_ones_own(client):
    other = UserFactory(roles=["finance"])
    Token.objects.create(user=other)
    client.force_login(UserFactory(roles=["me_member"]))
    client.post("/account/token/revoke/", {"confirm": "on"})
    assert Token.objects.filter(user=other).exists()


def test_a_forgotten_password_is_reset_by_mail(client):
    user = UserFactory(username="mei", email="mei@example.org", roles=["me_member"])
    response = client.post("/password-reset/", {"email": "mei@example.org"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert len(mail.outbox) == 1 and "mei" in mail.outbox[0].body
    link = re.search(r"http://testserver(/password-reset/\S+/)", mail.outbox[0].body).group(1)
    page = client.get(link, follow=True)
    assert page.status_code == 200
    set_url = page.redirect_chain[-1][0] if page.redirect_chain else link
    response = client.post(
        set_url, {"new_password1": "a-brand-new-one-26", "new_password2": "a-brand-new-one-26"}
    )
    assert response.status_code == 302 and response["Location"] == "/password-reset/done/"
    user.refresh_from_db()
    assert user.check_password("a-brand-new-one-26")
    assert AuditEntry.objects.filter(action="auth.password_reset", object_id=str(user.pk)).exists()


def test_an_unknown_email_sends_nothing_and_says_the_same(client):
    response = client.post("/password-reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302 and len(mail.outbox) == 0


def test_a_used_reset_link_no_longer_works(client):
    response = client.get("/password-reset/MQ/set-password/")
    assert response.status_code == 200 and "no longer works" in response.content.decode()


def test_a_user_changes_their_password_with_an_audit_row(client):
    user = UserFactory(roles=["partner"])
    client.force_login(user)
    response = client.post(
        "/account/password/",
        {
            "old_password": DEMO_PASSWORD,
            "new_password1": "my-next-secret-26",
            "new_password2": "my-next-secret-26",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("my-next-secret-26")
    assert AuditEntry.objects.filter(action="auth.password_change", object_id=str(user.pk)).exists()
    bad = client.post(
        "/account/password/", {"old_password": "wrong", "new_password1": "x", "new_password2": "y"}
    )
    assert bad.status_code == 200 and 'data-testid="error-old_password"' in bad.content.decode()
