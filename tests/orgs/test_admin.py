"""The Django admin follows the same rules and goes through the services (audit kept)."""

import pytest

from orgs.models import AuditEntry, Partner, PartnerTransition
from tests.factories import EMCParticipationFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_admin(client):
    user = UserFactory(username="staffadmin", roles=["platform_admin"], is_staff=True)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/orgs/partner/",
        "/admin/orgs/microenterprise/",
        "/admin/orgs/emc/",
        "/admin/orgs/auditentry/",
        "/admin/orgs/partnerproposal/",
        "/admin/orgs/industry/",
        "/admin/orgs/solution/",
        "/admin/orgs/membership/",
        "/admin/orgs/partner/add/",
        "/admin/orgs/microenterprise/add/",
        "/admin/orgs/emc/add/",
    ],
)
def test_admin_pages_open_for_a_platform_admin(staff_admin, url):
    assert staff_admin.get(url).status_code == 200


def test_admin_action_phases_out_with_the_reason_and_keeps_the_audit(staff_admin):
    partner = PartnerFactory(state="active")
    participation = EMCParticipationFactory(partner=partner)
    response = staff_admin.post(
        "/admin/orgs/partner/",
        {
            "action": "partner_phase_out",
            "_selected_action": [partner.pk],
            "reason": "users asked for better dryers",
        },
        follow=True,
    )
    assert response.status_code == 200
    partner.refresh_from_db()
    participation.refresh_from_db()
    assert partner.state == "phased_out" and participation.ended_on is not None
    assert (
        PartnerTransition.objects.get(partner=partner, to_value="phased_out").reason
        == "users asked for better dryers"
    )
    assert AuditEntry.objects.filter(action="partner.phase_out").exists()


def test_admin_action_without_reason_changes_nothing(staff_admin):
    partner = PartnerFactory(state="active")
    response = staff_admin.post(
        "/admin/orgs/partner/",
        {"action": "partner_watch", "_selected_action": [partner.pk], "reason": ""},
        follow=True,
    )
    assert "A reason is required." in response.content.decode()
    assert Partner.objects.get(pk=partner.pk).state == "active"


def test_admin_cannot_delete_or_edit_state(staff_admin):
    partner = PartnerFactory()
    page = staff_admin.get(f"/admin/orgs/partner/{partner.pk}/change/")
    assert b'name="state"' not in page.content
    assert staff_admin.get(f"/admin/orgs/partner/{partner.pk}/delete/").status_code == 403


def test_admin_add_partner_goes_through_the_service(staff_admin):
    from orgs.models import PartnerRole, PartnerTier

    response = staff_admin.post(
        "/admin/orgs/partner/add/",
        {
            "code": "newco",
            "name": "NewCo",
            "tier": PartnerTier.objects.get(code="silver").pk,
            "roles": [PartnerRole.objects.get(code="design").pk],
            "revenue_baseline_minor": 0,
            "baseline_currency": "CNY",
            "applied_on": "2025-01-02",
            "transitions-TOTAL_FORMS": 0,
            "transitions-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    partner = Partner.objects.get(code="newco")
    assert partner.state == "applied" and partner.transitions.count() == 1
    assert AuditEntry.objects.filter(action="partner.create", object_id=str(partner.pk)).exists()


def test_non_admin_staff_cannot_change(client):
    user = UserFactory(roles=["auditor"], is_staff=True)
    client.force_login(user)
    assert client.get("/admin/orgs/partner/").status_code == 200  # read
    assert client.get("/admin/orgs/partner/add/").status_code == 403
