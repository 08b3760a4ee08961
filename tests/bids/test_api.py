"""The orders API: the same services and refusals as the pages (400/409 by field, 403), money as
decimal text, a constant query count for the list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from bids import services
from bids.models import Bid, Order
from tests.bids.conftest import days, order_terms


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _body(**overrides):
    body = {
        "emc": "balcony-emc",
        "scenario": "balcony",
        "title": "Quiet dryers",
        "obligations": "Install 200 dryers",
        "share_pct": "12.5",
        "target_amount": "50000.00",
        "currency": "CNY",
        "deadline": days(7).isoformat(),
        "period_start": days(8).isoformat(),
        "period_end": days(98).isoformat(),
    }
    return body | overrides


def test_the_lead_puts_an_order_out_through_the_api(world):
    response = _client(world.lead).post("/api/bids/orders/", _body(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["status"], data["target_amount"], data["share_pct"], data["emc"]) == (
        "open",
        "50000.00",
        "12.5000",
        "balcony-emc",
    )


def test_a_bad_order_answers_400_by_field_and_writes_nothing(world):
    response = _client(world.lead).post(
        "/api/bids/orders/", _body(share_pct="0", period_end=days(1).isoformat()), format="json"
    )
    assert response.status_code == 400
    assert {"share_pct", "period_end"} <= set(response.json()["errors"])
    response = _client(world.lead).post("/api/bids/orders/", _body(deadline="tomorrow"), format="json")
    assert response.status_code == 400 and "deadline" in response.json()["errors"]
    assert Order.objects.count() == 0


def test_a_leader_of_no_emc_is_forbidden(world):
    assert _client(world.bidder).post("/api/bids/orders/", _body(), format="json").status_code == 403


def test_bid_award_and_rate_through_the_api(world, order, monkeypatch):
    firm = _client(world.firm)
    response = firm.post(
        f"/api/bids/orders/{order.pk}/bids/",
        {"partner": "p2", "asked_share_pct": "8", "commitment": "150 dryers", "target_amount": "60000"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["committed_amount"], response.json()["record"]) == ("60000.00", None)
    again = firm.post(
        f"/api/bids/orders/{order.pk}/bids/",
        {"partner": "p2", "asked_share_pct": "7", "commitment": "x"},
        format="json",
    )
    assert again.status_code == 409 and "bidder" in again.json()["errors"]
    too_much = _client(world.bidder).post(
        f"/api/bids/orders/{order.pk}/bids/",
        {"me": "d-me", "asked_share_pct": "13", "commitment": "x"},
        format="json",
    )
    assert too_much.status_code == 400 and "asked_share_pct" in too_much.json()["errors"]
    assert (
        firm.post(
            f"/api/bids/orders/{order.pk}/bids/",
            {"me": "d-me", "asked_share_pct": "5", "commitment": "x"},
            format="json",
        ).status_code
        == 403
    )

    bid = Bid.objects.get()
    assert firm.post(f"/api/bids/orders/{order.pk}/award/", {"bid": bid.pk}, format="json").status_code == 403
    lead = _client(world.lead)
    early = lead.post(f"/api/bids/orders/{order.pk}/award/", {"bid": bid.pk}, format="json")
    assert (
        early.status_code == 409
        and "award the order after the deadline" in early.json()["errors"]["order"][0]
    )
    monkeypatch.setattr(services, "_today", lambda: days(8))  # bidding has closed
    response = lead.post(f"/api/bids/orders/{order.pk}/award/", {"bid": bid.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["contract_version"]) == ("awarded", 2)

    early = lead.post(f"/api/bids/orders/{order.pk}/rate/", {"stars": 4, "note": "ok"}, format="json")
    assert early.status_code == 409 and "order" in early.json()["errors"]
    monkeypatch.setattr(services, "_today", lambda: days(99))
    bad = lead.post(f"/api/bids/orders/{order.pk}/rate/", {"stars": 0, "note": "ok"}, format="json")
    assert bad.status_code == 400 and "stars" in bad.json()["errors"]
    response = lead.post(
        f"/api/bids/orders/{order.pk}/rate/", {"stars": 4, "note": "150 installed"}, format="json"
    )
    assert (response.status_code, response.json()["stars"], response.json()["status"]) == (200, 4, "rated")


def test_the_order_list_keeps_its_query_count(world):
    def count():
        # a fresh user each time: the roles are cached on the user object
        client = _client(type(world.firm).objects.get(pk=world.firm.pk))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/bids/orders/?status=open").status_code == 200
        return len(ctx.captured_queries)

    def grow(n):
        for i in range(n):
            o = services.order_create(actor=world.admin, **order_terms(world, title=f"O{i}"))
            services.bid_place(
                actor=world.bidder, order=o, me=world.me_d, asked_share_pct="5", commitment="x"
            )

    grow(2)
    small = count()
    grow(10)
    assert count() == small
    assert _client(world.firm).get("/api/bids/orders/").json()["count"] == 12


@pytest.mark.parametrize("role", [None])
def test_anonymous_and_roleless_users_read_nothing(world, order, role):
    from tests.factories import UserFactory

    assert APIClient().get("/api/bids/orders/").status_code in (401, 403)
    assert _client(UserFactory(roles=[])).get(f"/api/bids/orders/{order.pk}/").status_code == 403


def test_bids_are_sealed_from_outside_firms(world, order):
    from bids import services

    services.bid_place(actor=world.bidder, order=order, me=world.me_d, asked_share_pct="9", commitment="ours")
    services.bid_place(actor=world.firm, order=order, partner=world.p2, asked_share_pct="8", commitment="150")
    # the firm reads only its own partner's bid; the EMC's lead (the company) reads both
    firm = _client(world.firm).get(f"/api/bids/orders/{order.pk}/bids/").json()
    assert [(b["me"], b["partner"]) for b in firm] == [(None, "p2")]
    lead = _client(world.lead).get(f"/api/bids/orders/{order.pk}/bids/").json()
    assert [(b["me"], b["partner"]) for b in lead] == [("d-me", None), (None, "p2")]
    page = APIClient()
    page.force_login(world.firm)
    html = page.get(f"/orders/{order.pk}/").content.decode()
    assert "Dryer ME" not in html and "ours" not in html


def test_a_cancelled_order_s_bids_read_closed_in_the_api_and_on_the_page(world, order):
    services.bid_place(actor=world.firm, order=order, partner=world.p2, asked_share_pct="8", commitment="150")
    lead = _client(world.lead)
    response = lead.post(f"/api/bids/orders/{order.pk}/cancel/", {"reason": "Goal dropped"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "cancelled")
    assert [b["status"] for b in lead.get(f"/api/bids/orders/{order.pk}/bids/").json()] == ["closed"]
    page = APIClient()
    page.force_login(world.firm)
    html = page.get(f"/orders/{order.pk}/").content.decode()
    assert "Closed: order cancelled" in html and "Withdraw" not in html


def test_a_partner_user_counts_only_its_own_partners_bids(world, order):
    services.bid_place(actor=world.bidder, order=order, me=world.me_d, asked_share_pct="9", commitment="ours")
    firm = _client(world.firm)
    # a competitor's bid is not counted for the outside firm, in the list or the order
    assert firm.get(f"/api/bids/orders/{order.pk}/").json()["bid_count"] == 0
    services.bid_place(actor=world.firm, order=order, partner=world.p2, asked_share_pct="8", commitment="150")
    assert [o["bid_count"] for o in firm.get("/api/bids/orders/").json()["results"]] == [1]
    assert _client(world.lead).get(f"/api/bids/orders/{order.pk}/").json()["bid_count"] == 2
    page = APIClient()
    page.force_login(world.firm)
    html = page.get("/orders/").content.decode()
    assert '<td class="text-end">1</td>' in html and '<td class="text-end">2</td>' not in html


def test_long_or_control_character_texts_answer_400_by_field(world, order):
    lead = _client(world.lead)
    response = lead.post(
        "/api/bids/orders/", _body(goal="g" * 1_000_000, obligations="o\u0001"), format="json"
    )
    assert response.status_code == 400 and {"goal", "obligations"} <= set(response.json()["errors"])
    response = lead.post(f"/api/bids/orders/{order.pk}/cancel/", {"reason": "r" * 5000}, format="json")
    assert response.status_code == 400 and "2000" in str(response.json()["errors"]["reason"])
    response = _client(world.firm).post(
        f"/api/bids/orders/{order.pk}/bids/",
        {"partner": "p2", "asked_share_pct": "4", "commitment": "c" * 100_000},
        format="json",
    )
    assert response.status_code == 400 and "commitment" in response.json()["errors"]
    assert Order.objects.count() == 1 and Bid.objects.count() == 0


@pytest.mark.parametrize(
    "dates",
    [
        {"period_end": "2100-01-01"},
        {"period_end": "9999-12-31"},
        {"deadline": "2099-12-31", "period_start": "2100-01-01"},
    ],
)
def test_order_dates_past_2099_are_refused_by_field(world, dates):
    response = _client(world.lead).post("/api/bids/orders/", _body(**dates), format="json")
    assert response.status_code == 400
    assert set(dates) - {"deadline"} <= set(response.json()["errors"])
    assert "2099-12-31" in str(response.json()["errors"])
    assert Order.objects.count() == 0
