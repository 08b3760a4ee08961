"""Partners' use of shared platform resources: dated, audited, only for partners taking part."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from orgs import services
from orgs.models import AuditEntry, Partner, PlatformResource, ResourceUse
from tests.factories import PartnerFactory, UserFactory, reference

pytestmark = pytest.mark.django_db


@pytest.fixture
def cloud():
    return reference(PlatformResource, "iot-cloud", name="IoT cloud")


def test_an_admin_records_a_use_and_ends_it(admin, cloud):
    partner = PartnerFactory()
    use = services.resource_use_start(
        actor=admin, partner=partner, resource=cloud, started_on=dt.date(2025, 1, 1)
    )
    services.resource_use_end(actor=admin, use=use, ended_on=dt.date(2025, 3, 1))
    use.refresh_from_db()
    assert (use.started_on, use.ended_on) == (dt.date(2025, 1, 1), dt.date(2025, 3, 1))
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"partner.resource_use_start", "partner.resource_use_end"} <= actions


def test_a_partner_not_taking_part_is_refused(admin, cloud):
    applied = PartnerFactory(state=Partner.State.APPLIED)
    with pytest.raises(ValidationError) as exc:
        services.resource_use_start(actor=admin, partner=applied, resource=cloud)
    assert "partner" in exc.value.message_dict
    assert not ResourceUse.objects.exists()


def test_an_open_use_is_not_opened_twice_and_an_end_before_start_is_refused(admin, cloud):
    partner = PartnerFactory()
    use = services.resource_use_start(
        actor=admin, partner=partner, resource=cloud, started_on=dt.date(2025, 1, 1)
    )
    with pytest.raises(ValidationError):
        services.resource_use_start(actor=admin, partner=partner, resource=cloud)
    with pytest.raises(ValidationError) as exc:
        services.resource_use_end(actor=admin, use=use, ended_on=dt.date(2024, 12, 1))
    assert "ended_on" in exc.value.message_dict
    assert ResourceUse.objects.count() == 1


def test_the_api_records_uses_for_admins_only(admin, cloud):
    partner = PartnerFactory()
    api = APIClient()
    api.force_authenticate(UserFactory(roles=["me_leader"]))
    body = {"partner": partner.code, "resource": cloud.code, "started_on": "2025-02-01"}
    assert api.post("/api/resource-uses/", body, format="json").status_code == 403
    api.force_authenticate(admin)
    created = api.post("/api/resource-uses/", body, format="json")
    assert created.status_code == 201
    ended = api.post(
        f"/api/resource-uses/{created.json()['id']}/end/", {"ended_on": "2025-02-02"}, format="json"
    )
    assert ended.status_code == 200 and ended.json()["ended_on"] == "2025-02-02"
    future = api.post("/api/resource-uses/", {**body, "started_on": "2999-01-01"}, format="json")
    assert future.status_code == 400 and "started_on" in future.json()["errors"]


def test_the_partner_page_records_a_use(client, admin, cloud):
    partner = PartnerFactory()
    client.force_login(admin)
    url = f"/partners/{partner.code}/resources/"
    bad = client.post(url, {"resource": cloud.code, "started_on": "2999-01-01"})
    assert bad.status_code == 400 and "future" in bad.content.decode()
    ok = client.post(url, {"resource": cloud.code, "started_on": "2025-01-01"})
    assert ok.status_code == 302
    page = client.get(f"/partners/{partner.code}/")
    assert "IoT cloud" in page.content.decode()
