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


# --- admins and every user's token ---------------------------------------------------------


def test_an_admin_lists_every_token_and_revokes_one_with_a_reason(client):
    admin = UserFactory(roles=["platform_admin"])
    mei, lin = (
        UserFactory(username="mei", roles=["finance"]),
        UserFactory(username="lin", roles=["me_leader"]),
    )
    key = Token.objects.create(user=mei).key
    Token.objects.create(user=lin)
    client.force_login(admin)
    page = client.get("/account/tokens/")
    assert page.status_code == 200
    assert [t.user.username for t in page.context["page"]] == ["lin", "mei"]
    assert key not in page.content.decode()  # the key is never shown
    assert [t.user.username for t in client.get("/account/tokens/", {"q": "me"}).context["page"]] == ["mei"]

    url = f"/account/tokens/{mei.pk}/revoke/"
    unconfirmed = client.post(url, {"reason": "Laptop lost"})
    assert unconfirmed.status_code == 400 and Token.objects.filter(user=mei).exists()
    no_reason = client.post(url, {"confirm": "on", "reason": "  "})
    assert no_reason.status_code == 400 and "A reason is required." in no_reason.content.decode()
    assert Token.objects.filter(user=mei).exists()
    assert not AuditEntry.objects.filter(action="api_token.revoke").exists()

    done = client.post(url, {"confirm": "on", "reason": "Laptop lost"})
    assert done.status_code == 302 and done["Location"] == "/account/tokens/"
    assert not Token.objects.filter(user=mei).exists() and Token.objects.filter(user=lin).exists()
    entry = AuditEntry.objects.get(action="api_token.revoke", object_id=str(mei.pk))
    assert (entry.actor, entry.reason) == (admin, "Laptop lost") and key not in str(entry.changes)
    client.logout()
    assert _api(client, key) == 401


@pytest.mark.parametrize("role", ["me_leader", "me_member", "finance", "auditor", "partner"])
def test_other_roles_neither_list_nor_revoke_anothers_token(client, role):
    other = UserFactory(roles=["finance"])
    Token.objects.create(user=other)
    client.force_login(UserFactory(roles=[role]))
    assert client.get("/account/tokens/").status_code == 403
    assert (
        client.post(f"/account/tokens/{other.pk}/revoke/", {"confirm": "on", "reason": "x"}).status_code
        == 403
    )
    assert Token.objects.filter(user=other).exists()
    assert "/account/tokens/" not in client.get("/account/").content.decode()


def test_the_service_refuses_a_non_admin_revoking_anothers_token():
    from django.core.exceptions import PermissionDenied

    from orgs.services import api_token_revoke

    other = UserFactory(roles=["finance"])
    Token.objects.create(user=other)
    with pytest.raises(PermissionDenied):
        api_token_revoke(user=other, actor=UserFactory(roles=["auditor"]), reason="no")
    assert Token.objects.filter(user=other).exists()


def test_the_token_list_costs_the_same_queries_for_2_and_20_tokens(client, django_assert_num_queries):
    client.force_login(UserFactory(roles=["platform_admin"]))
    for n in (2, 18):
        for _ in range(n):
            Token.objects.create(user=UserFactory())
        client.get("/account/tokens/")  # warm the per-user caches
        # session, user, roles, the count for the pages, the tokens with their users, and the
        # menu's two (a live ME to log for, the last nightly run)
        with django_assert_num_queries(PINNED_TOKEN_LIST_QUERIES):
            assert client.get("/account/tokens/").status_code == 200


PINNED_TOKEN_LIST_QUERIES = 7
