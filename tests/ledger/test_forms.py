"""Bad input through the web forms: each gets a clear message beside its field, nothing is
written, and the ledger stays balanced."""

import datetime as dt

import pytest
from django.utils import timezone

from ledger import selectors
from ledger.forms import ValueEventForm
from ledger.models import AccountDay, Leg, Transaction, ValueEvent
from orgs.models import EMCParticipation
from tests.factories import MicroenterpriseFactory, PartnerFactory
from tests.ledger.test_views import local, payload

pytestmark = pytest.mark.django_db


def _written():
    return (
        Transaction.objects.count(),
        Leg.objects.count(),
        ValueEvent.objects.count(),
        AccountDay.objects.count(),
    )


@pytest.fixture
def leader_client(client, world):
    client.force_login(world.leader)
    return client


def post_error(client, data, field) -> str:
    """Post the log form; assert a 400 with an error on `field`; return the message."""
    before = _written()
    response = client.post("/ledger/log/", data)
    assert response.status_code == 400, response.status_code
    errors = response.context["form"].errors
    assert field in errors, errors
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert _written() == before
    assert all(v == 0 for v in selectors.ledger_totals_by_currency().values())
    assert selectors.ledger_check_rollups() == []
    return " ".join(errors[field])


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "The amount must be more than zero."),
        ("0.00", "The amount must be more than zero."),
        ("-5.00", "The amount must be more than zero."),
        ("1.999", "CNY amounts have at most 2 decimal places."),
        (
            "abc",
            "Give a decimal number such as 199.00: digits 0-9 and a point (no exponent, spaces or separators).",
        ),
    ],
)
def test_zero_negative_or_malformed_amounts_are_refused_by_field(leader_client, world, amount, message):
    assert post_error(leader_client, payload(world, amount=amount), "amount") == message


def test_an_unknown_currency_is_refused_by_field(leader_client, world):
    assert "Unknown currency" in post_error(leader_client, payload(world, currency="XYZ"), "currency")


def test_a_currency_other_than_the_contracts_is_refused_without_conversion(leader_client, world):
    assert "no conversion" in post_error(leader_client, payload(world, currency="EUR"), "currency")


def test_an_me_the_user_does_not_lead_is_refused_by_field(leader_client, world):
    other = MicroenterpriseFactory()
    message = post_error(leader_client, payload(world, me=other.code), "me")
    assert message == "You may log value only for microenterprises you lead."


def test_a_partner_not_active_in_the_emc_at_occurred_at_is_refused_by_field(leader_client, world):
    late = PartnerFactory(name="LateCo")
    EMCParticipation.objects.create(emc=world.emc, partner=late, started_on=timezone.localdate())
    yesterday = local(timezone.now() - dt.timedelta(days=1))
    message = post_error(
        leader_client, payload(world, partners=[late.code], occurred_at=yesterday), "partners"
    )
    assert "LateCo was not active in this EMC on" in message


def test_a_phased_out_partner_is_refused_by_field(leader_client, world):
    world.partner.state = "phased_out"
    world.partner.save(update_fields=["state"])
    assert "was not active in this EMC" in post_error(leader_client, payload(world), "partners")


@pytest.mark.parametrize(
    ("delta", "message"),
    [
        (dt.timedelta(days=401), "Too far in the past"),
        (dt.timedelta(minutes=-60), "In the future"),
    ],
)
def test_a_date_outside_the_allowed_window_is_refused_by_field(leader_client, world, delta, message):
    data = payload(world, occurred_at=local(timezone.now() - delta))
    assert message in post_error(leader_client, data, "occurred_at")


@pytest.mark.parametrize("user_ref", ["jane@example.org", "+86 138 0013 8000", "ab"])
def test_contact_details_or_short_user_references_are_refused(leader_client, world, user_ref):
    post_error(leader_client, payload(world, user_ref=user_ref), "user_ref")


def test_a_scenario_the_emc_does_not_serve_is_refused_by_field(leader_client, world):
    from tests.factories import ScenarioFactory

    other = ScenarioFactory()
    assert "does not serve" in post_error(
        leader_client, payload(world, scenario=other.code, solution=None), "scenario"
    )


def test_a_refund_larger_than_the_original_is_refused_by_field(leader_client, world, log):
    payment = log()
    before = _written()
    data = {"token": "r-1", "amount": "199.01", "occurred_at": local(timezone.now()), "note": "too much"}
    response = leader_client.post(f"/ledger/events/{payment.pk}/refund/", data)
    assert response.status_code == 400
    assert "exceeds what remains" in " ".join(response.context["form"].errors["amount"])
    assert _written() == before


def test_a_refund_needs_a_reason(leader_client, world, log):
    payment = log()
    data = {"token": "r-2", "amount": "10.00", "occurred_at": local(timezone.now()), "note": ""}
    response = leader_client.post(f"/ledger/events/{payment.pk}/refund/", data)
    assert response.status_code == 400 and "note" in response.context["form"].errors
    assert ValueEvent.objects.count() == 1


def test_the_form_offers_choices_but_validates_against_the_service(world):
    form = ValueEventForm(data=payload(world), mes=[world.lead_me])
    form.offer({"emcs": [], "scenarios": [], "solutions": [], "categories": [], "partners": []})
    # nothing offered, yet the posted codes parse: the service, not the form, decides
    assert form.is_valid(), form.errors
    assert form.service_kwargs()["idempotency_key"] == "tok-1"
    assert form.service_kwargs()["partners"] == [world.partner]


def test_an_unbound_form_carries_a_fresh_one_time_token():
    first, second = ValueEventForm(), ValueEventForm()
    assert first["token"].value() and first["token"].value() != second["token"].value()


@pytest.fixture
def bundled(world):
    """The world's solution bundles two categories, Drying and Washing; a third, Cooking, is not in it."""
    from tests.factories import CategoryFactory

    drying, washing = CategoryFactory(name="Drying"), CategoryFactory(name="Washing")
    world.solution.categories.set([drying, washing])
    return drying, washing, CategoryFactory(name="Cooking")


def test_a_category_the_solution_does_not_bundle_is_refused_by_field(leader_client, world, bundled):
    _drying, _washing, cooking = bundled
    message = post_error(leader_client, payload(world, category=cooking.code), "category")
    assert message == (
        f"{world.solution.name} bundles Drying, Washing, not Cooking: choose one of its categories."
    )


def test_a_category_of_the_solution_posts(leader_client, world, bundled):
    drying, _washing, _cooking = bundled
    response = leader_client.post("/ledger/log/", payload(world, category=drying.code))
    assert response.status_code == 302
    assert ValueEvent.objects.get().category == drying


def test_the_api_refuses_the_same_category_by_field(world, bundled):
    from rest_framework.test import APIClient

    from tests.ledger.test_api import payload as api_payload

    _drying, _washing, cooking = bundled
    api = APIClient()
    api.force_authenticate(world.leader)
    response = api.post(
        "/api/value-events/",
        api_payload(world, timezone.now(), category=cooking.code),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-cooking",
    )
    assert response.status_code == 400 and "category" in response.json()["errors"]
    assert not ValueEvent.objects.exists()


def test_the_form_offers_only_the_chosen_solutions_categories(leader_client, world, bundled):
    drying, washing, cooking = bundled
    query = {"me": world.lead_me.code, "emc": world.emc.code, "scenario": world.scenario.code}
    everything = leader_client.get("/ledger/log/fields/", query).context["form"]
    assert {c for c, _label in everything.fields["category"].choices} >= {
        drying.code,
        washing.code,
        cooking.code,
    }
    chosen = leader_client.get("/ledger/log/fields/", query | {"solution": world.solution.code})
    form = chosen.context["form"]
    assert [c for c, _label in form.fields["category"].choices] == ["", drying.code, washing.code]
    # the page script gets each solution's categories to filter the select as the solution changes
    html = chosen.content.decode()
    assert "data-solution-categories" in html
    attrs = form.fields["category"].widget.attrs
    import json

    assert json.loads(attrs["data-solution-categories"]) == {
        world.solution.code: sorted([drying.code, washing.code])
    }
