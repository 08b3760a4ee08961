"""Phase-in from an application: a firm applies with its own login (state applied), admins admit
it to probation or reject it with a reason from the queue, and the applicant follows its state."""

import pytest
from django.contrib.auth import get_user_model

from orgs.models import AuditEntry, Partner, PartnerUser
from orgs.roles import user_roles
from tests.factories import PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db

GOOD = {
    "company": "Aurora Dryers Ltd",
    "roles": ["product-service", "technology"],
    "industries": "2750, 4649",
    "offer": "Heat-pump dryers for balconies",
    "contact_name": "Ada Aurora",
    "contact_email": "ada@aurora.example",
    "website": "aurora.example",
    "username": "aurora",
    "password": "dry-and-warm-2026",
    "password_again": "dry-and-warm-2026",
}


def test_a_firm_applies_and_follows_its_state_with_its_own_login(client):
    response = client.post("/apply/", GOOD)
    assert response.status_code == 302 and response["Location"] == "/"
    partner = Partner.objects.get(name="Aurora Dryers Ltd")
    assert partner.state == Partner.State.APPLIED and partner.code == "aurora-dryers-ltd"
    assert partner.offer == "Heat-pump dryers for balconies"
    assert sorted(partner.roles.values_list("code", flat=True)) == ["product-service", "technology"]
    assert sorted(partner.industries.values_list("code", flat=True)) == ["2750", "4649"]
    user = get_user_model().objects.get(username="aurora")
    assert user_roles(user) == {"partner"}
    assert PartnerUser.objects.get(user=user).partner == partner
    assert AuditEntry.objects.filter(action="partner.apply", object_id=str(partner.pk), actor=user).exists()
    # logged in as the applicant: its dashboard shows its state, nothing of the organization
    page = client.get("/").content.decode()
    assert "Aurora Dryers Ltd" in page and "Applied" in page
    assert client.get("/partners/").status_code == 403


def test_a_second_firm_of_the_same_name_gets_a_code_of_its_own(client):
    PartnerFactory(code="aurora-dryers-ltd")
    assert client.post("/apply/", GOOD).status_code == 302
    assert Partner.objects.filter(code="aurora-dryers-ltd-2").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"industries": "2750 9999"}, "industries"),
        ({"roles": []}, "roles"),
        ({"password_again": "something-else-1"}, "password_again"),
        ({"password": "123", "password_again": "123"}, "password"),
        ({"username": "taken"}, "username"),
        ({"username": "two words"}, "username"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"offer": ""}, "offer"),
        ({"company": "x\x00y"}, "company"),
    ],
)
def test_a_bad_application_is_refused_by_field_and_nothing_is_written(client, change, field):
    UserFactory(username="taken")
    before = (Partner.objects.count(), get_user_model().objects.count(), AuditEntry.objects.count())
    response = client.post("/apply/", GOOD | change)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    after = (Partner.objects.count(), get_user_model().objects.count(), AuditEntry.objects.count())
    assert after == before


def test_a_logged_in_user_is_sent_to_the_dashboard(client):
    client.force_login(UserFactory(roles=["finance"]))
    assert client.get("/apply/")["Location"] == "/"


def _applied():
    return PartnerFactory(state=Partner.State.APPLIED, name="Queue Firm", code="queue-firm", offer="Sensors")


def test_an_admin_admits_an_application_to_probation(client, admin):
    partner = _applied()
    PartnerFactory(state=Partner.State.ACTIVE, name="Already In")
    client.force_login(admin)
    queue = client.get("/partners/applications/").content.decode()
    assert (
        'data-testid="application-queue-firm"' in queue and "Sensors" in queue and "Already In" not in queue
    )
    response = client.post(
        f"/partners/applications/{partner.code}/decide/",
        {"action": "admit", "reason": "Strong offer", "confirm": "on"},
    )
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.state == Partner.State.PROBATION
    step = partner.transitions.order_by("-id").first()
    assert step.reason == "Strong offer" and step.actor == admin
    # the success message names it; the queue no longer lists it
    assert (
        'data-testid="application-queue-firm"' not in client.get("/partners/applications/").content.decode()
    )


def test_a_rejection_needs_a_reason_and_a_confirmation(client, admin):
    partner = _applied()
    client.force_login(admin)
    url = f"/partners/applications/{partner.code}/decide/"
    response = client.post(url, {"action": "reject", "reason": "", "confirm": "on"})
    assert response.status_code == 400 and 'data-testid="error-reason"' in response.content.decode()
    response = client.post(url, {"action": "reject", "reason": "Out of scope"})
    assert response.status_code == 400 and 'data-testid="error-confirm"' in response.content.decode()
    partner.refresh_from_db()
    assert partner.state == Partner.State.APPLIED
    assert (
        client.post(url, {"action": "reject", "reason": "Out of scope", "confirm": "on"}).status_code == 302
    )
    partner.refresh_from_db()
    assert partner.state == Partner.State.REJECTED


def test_an_unknown_decision_is_refused_without_a_500(client, admin):
    partner = _applied()
    client.force_login(admin)
    response = client.post(
        f"/partners/applications/{partner.code}/decide/",
        {"action": "activate", "reason": "x", "confirm": "on"},
    )
    assert response.status_code == 400
    partner.refresh_from_db()
    assert partner.state == Partner.State.APPLIED


@pytest.mark.parametrize("role", ["finance", "me_leader", "me_member", "auditor", "partner"])
def test_other_roles_may_not_work_the_queue(client, role):
    partner = _applied()
    client.force_login(UserFactory(roles=[role]))
    assert client.get("/partners/applications/").status_code == 403
    url = f"/partners/applications/{partner.code}/decide/"
    assert client.post(url, {"action": "admit", "reason": "x", "confirm": "on"}).status_code == 403
    partner.refresh_from_db()
    assert partner.state == Partner.State.APPLIED
