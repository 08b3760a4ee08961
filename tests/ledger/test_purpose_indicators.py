"""Purpose indicators: logged like value events (service, form, API), bad input refused whole."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from ledger import services
from ledger.models import PurposeIndicator
from orgs.models import AuditEntry

pytestmark = pytest.mark.django_db


def _log(world, **overrides):
    fields = {
        "actor": world.leader,
        "kind": "co2e_avoided",
        "me": world.lead_me,
        "emc": world.emc,
        "on": dt.date.today() - dt.timedelta(days=1),
        "quantity": "120.5",
        "unit": "kg CO2e",
    }
    fields.update(overrides)
    return services.purpose_indicator_log(**fields)


def test_a_leader_logs_an_indicator_with_an_audit_row(world):
    indicator = _log(world, note="Old fridges taken back")
    assert indicator.quantity == Decimal("120.5")
    assert indicator.unit == "kg CO2e"
    assert AuditEntry.objects.filter(
        action="ledger.purpose_indicator_log", object_id=str(indicator.pk)
    ).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": "-3"}, "quantity"),
        ({"quantity": "lots"}, "quantity"),
        ({"unit": "t CO2e"}, "unit"),
        ({"kind": "people_served", "unit": "kWh"}, "unit"),
        ({"kind": "smiles"}, "kind"),
        ({"on": dt.date.today() + dt.timedelta(days=2)}, "on"),
        ({"on": dt.date.today() - dt.timedelta(days=900)}, "on"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(world, overrides, field):
    with pytest.raises(ValidationError) as exc:
        _log(world, **overrides)
    assert field in exc.value.message_dict
    assert not PurposeIndicator.objects.exists()


def test_only_the_leader_of_the_me_may_log(world, user_with_role):
    other = user_with_role("me_leader")
    with pytest.raises(ValidationError) as exc:
        _log(world, actor=other)
    assert "me" in exc.value.message_dict


def test_an_me_not_seated_in_the_emc_is_refused(world):
    from tests.factories import EMCFactory

    with pytest.raises(ValidationError) as exc:
        _log(world, emc=EMCFactory())
    assert "emc" in exc.value.message_dict


def test_the_same_key_logs_once(world):
    first = _log(world, idempotency_key="k-1")
    again = _log(world, idempotency_key="k-1")
    assert again.pk == first.pk and again.replayed
    assert PurposeIndicator.objects.count() == 1


def test_the_form_logs_and_shows_field_errors(client, world):
    client.force_login(world.leader)
    url = reverse("ledger:log-indicator")
    page = client.get(url)
    assert page.status_code == 200
    token = page.context["form"].initial["token"]
    day = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    data = {
        "token": token,
        "me": world.lead_me.code,
        "emc": world.emc.code,
        "kind": "energy_saved",
        "on": day,
        "quantity": "-1",
        "unit": "kWh",
    }
    bad = client.post(url, data)
    assert bad.status_code == 400
    assert "cannot be negative" in bad.content.decode()
    assert not PurposeIndicator.objects.exists()
    data["quantity"] = "42"
    assert client.post(url, data).status_code == 302
    assert PurposeIndicator.objects.get().quantity == 42


def test_the_api_logs_with_an_idempotency_key_and_refuses_a_wrong_unit(world):
    api = APIClient()
    api.force_authenticate(world.leader)
    body = {
        "kind": "people_served",
        "me": world.lead_me.code,
        "emc": world.emc.code,
        "on": (dt.date.today() - dt.timedelta(days=1)).isoformat(),
        "quantity": "300",
        "unit": "kg",
    }
    bad = api.post("/api/purpose-indicators/", body, format="json", HTTP_IDEMPOTENCY_KEY="a1")
    assert bad.status_code == 400 and "unit" in bad.json()["errors"]
    body["unit"] = "people"
    ok = api.post("/api/purpose-indicators/", body, format="json", HTTP_IDEMPOTENCY_KEY="a2")
    assert ok.status_code == 201 and ok.json()["quantity"] == "300"
    listed = api.get("/api/purpose-indicators/?emc=" + world.emc.code).json()
    assert listed["count"] == 1
