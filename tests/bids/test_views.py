"""The order pages: who sees and does what, forms that show the service's refusals by field,
the award and rating behind a confirmation, and constant query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bids import services
from bids.models import Bid, Order
from portal.menu import menu_for
from tests.bids.conftest import days, order_terms
from tests.factories import UserFactory


def _keys(user):
    items = menu_for(user)
    return {link["key"] for item in items for link in item.get("links", [item])}


def test_menu_entries_follow_the_roles(world):
    assert {"orders", "order-create"} <= _keys(world.admin)
    assert {"orders", "order-create"} <= _keys(world.lead)  # leads the EMC's lead ME
    assert "orders" in _keys(world.bidder) and "order-create" not in _keys(world.bidder)
    assert "orders" in _keys(world.firm) and "order-create" not in _keys(world.firm)
    assert "orders" in _keys(UserFactory(roles=["auditor"]))


@pytest.mark.parametrize(
    ("who", "list_code", "new_code"),
    [("admin", 200, 200), ("lead", 200, 200), ("bidder", 200, 403), ("firm", 200, 403), ("nobody", 403, 403)],
)
def test_pages_by_role(client, world, order, who, list_code, new_code):
    user = UserFactory(username="nobody") if who == "nobody" else getattr(world, who)
    client.force_login(user)
    assert client.get("/orders/").status_code == list_code
    assert client.get("/orders/new/").status_code == new_code
    assert client.get(f"/orders/{order.pk}/").status_code == list_code


def test_the_lead_puts_an_order_out_and_a_bad_one_shows_its_fields(client, world):
    client.force_login(world.lead)
    data = {
        "emc": "balcony-emc",
        "scenario": "balcony",
        "title": "Quiet dryers",
        "target_amount": "50000",
        "currency": "CNY",
        "obligations": "Install 200 dryers",
        "share_pct": "120",
        "deadline": days(0).isoformat(),
        "period_start": days(8).isoformat(),
        "period_end": days(98).isoformat(),
    }
    response = client.post("/orders/new/", data)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="error-share_pct"' in body and 'data-testid="error-deadline"' in body
    assert Order.objects.count() == 0
    response = client.post("/orders/new/", data | {"share_pct": "12.5", "deadline": days(7).isoformat()})
    order = Order.objects.get()
    assert response.status_code == 302 and response.url == f"/orders/{order.pk}/"


def test_a_leader_and_a_partner_bid_from_the_order_page(client, world, order):
    client.force_login(world.bidder)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert 'value="me:d-me"' in page and 'value="partner:p2"' not in page  # only what it may bid for
    response = client.post(
        f"/orders/{order.pk}/",
        {"form": "bid", "bidder": "me:d-me", "asked_share_pct": "20", "commitment": "x"},
    )
    assert 'data-testid="error-asked_share_pct"' in response.content.decode()
    client.post(
        f"/orders/{order.pk}/",
        {"form": "bid", "bidder": "me:d-me", "asked_share_pct": "10", "commitment": "200 dryers"},
    )
    client.force_login(world.firm)
    client.post(
        f"/orders/{order.pk}/",
        {"form": "bid", "bidder": "partner:p2", "asked_share_pct": "8", "commitment": "150"},
    )
    assert sorted(Bid.objects.values_list("asked_share_pct", flat=True)) == [8, 10]
    # the firm may not award
    bid = Bid.objects.get(me=world.me_d)
    assert (
        client.post(f"/orders/{order.pk}/", {"form": "award", "bid": bid.pk, "confirm": "on"}).status_code
        == 403
    )


def test_the_award_needs_the_confirmation_and_the_deadline_passed(client, world, order, monkeypatch):
    bid = services.bid_place(
        actor=world.bidder, order=order, me=world.me_d, asked_share_pct="10", commitment="x"
    )
    client.force_login(world.lead)
    response = client.post(f"/orders/{order.pk}/", {"form": "award", "bid": bid.pk, "confirm": "on"})
    assert "award the order after the deadline" in response.content.decode()
    monkeypatch.setattr(services, "_today", lambda: days(8))  # bidding has closed
    response = client.post(f"/orders/{order.pk}/", {"form": "award", "bid": bid.pk})
    assert 'data-testid="error-confirm"' in response.content.decode()
    order.refresh_from_db()
    assert order.status == "open"
    response = client.post(
        f"/orders/{order.pk}/", {"form": "award", "bid": bid.pk, "reason": "best", "confirm": "on"}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "awarded" and order.contract.version == 2
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert 'data-testid="order-contract"' in page and "balcony-emc v2" in page


def test_a_refused_award_shows_the_contract_error_and_writes_nothing(client, world, monkeypatch):
    order = services.order_create(actor=world.lead, **order_terms(world, share_pct="99"))
    bid = services.bid_place(
        actor=world.firm, order=order, partner=world.p2, asked_share_pct="96", commitment="x"
    )
    client.force_login(world.lead)
    monkeypatch.setattr(services, "_today", lambda: days(8))  # bidding has closed
    response = client.post(f"/orders/{order.pk}/", {"form": "award", "bid": bid.pk, "confirm": "on"})
    assert response.status_code == 200
    assert "exceed 100%" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "open"


def test_the_rating_is_shown_beside_later_bids(client, world, order, monkeypatch):
    bid = services.bid_place(
        actor=world.firm, order=order, partner=world.p2, asked_share_pct="8", commitment="x"
    )
    services.order_award(actor=world.lead, order=order, bid=bid, as_of=days(8))
    monkeypatch.setattr(services, "_today", lambda: days(99))
    client.force_login(world.lead)
    client.post(f"/orders/{order.pk}/", {"form": "rate", "stars": "4", "note": "On time", "confirm": "on"})
    monkeypatch.undo()
    order.refresh_from_db()
    assert (order.status, order.stars) == ("rated", 4)
    later = services.order_create(actor=world.lead, **order_terms(world, title="Later"))
    services.bid_place(actor=world.firm, order=later, partner=world.p2, asked_share_pct="5", commitment="x")
    page = client.get(f"/orders/{later.pk}/").content.decode()
    assert "4.0★ over 1 delivery" in page


def _fetch(client, user, url) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _orders(world, n):
    for i in range(n):
        order = services.order_create(actor=world.admin, **order_terms(world, title=f"Order {i}"))
        services.bid_place(
            actor=world.bidder, order=order, me=world.me_d, asked_share_pct="5", commitment="x"
        )


@pytest.mark.parametrize("who", ["admin", "firm"])
def test_the_orders_list_and_the_dashboard_keep_their_query_count(client, world, who):
    user = getattr(world, who)
    _orders(world, 2)
    small = (
        _fetch(client, user, "/orders/"),
        _fetch(client, user, "/orders/?status=open"),
        _fetch(client, user, "/"),
    )
    _orders(world, 12)
    assert (
        _fetch(client, user, "/orders/"),
        _fetch(client, user, "/orders/?status=open"),
        _fetch(client, user, "/"),
    ) == small


def test_the_order_page_keeps_its_query_count_whatever_the_bids(client, world, order):
    from tests.factories import MicroenterpriseFactory

    def bids(n):
        for _ in range(n):
            me = MicroenterpriseFactory(leader=world.bidder)
            services.bid_place(actor=world.admin, order=order, me=me, asked_share_pct="5", commitment="x")

    bids(1)
    small = _fetch(client, world.lead, f"/orders/{order.pk}/")
    bids(9)
    assert _fetch(client, world.lead, f"/orders/{order.pk}/") == small


def test_the_pages_speak_chinese(client, world, order, monkeypatch):
    from django.utils import translation

    services.bid_place(actor=world.firm, order=order, partner=world.p2, asked_share_pct="8", commitment="x")
    client.force_login(world.lead)
    page = client.get(f"/orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "开放抢单" in page and "授予此抢单" in page and "尚无评价" in page
    assert "发布抢单" in client.get("/orders/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    with translation.override("zh-hans"), pytest.raises(Exception) as exc:
        services.bid_place(
            actor=world.firm, order=order, partner=world.p2, asked_share_pct="8", commitment="x"
        )
    assert "已有有效的抢单" in str(exc.value)


@pytest.mark.parametrize("bid", ["abc", "", "99999999999999999999999"])
def test_withdrawing_a_bid_that_no_address_names_is_not_found(client, world, order, bid):
    client.force_login(world.bidder)
    assert client.post(f"/orders/{order.pk}/", {"form": "withdraw", "bid": bid}).status_code == 404


def test_an_order_delivered_past_2099_is_refused_on_the_page(client, world):
    client.force_login(world.lead)
    data = {
        "emc": "balcony-emc",
        "scenario": "balcony",
        "title": "Quiet dryers",
        "target_amount": "50000",
        "currency": "CNY",
        "obligations": "Install 200 dryers",
        "share_pct": "12.5",
        "deadline": days(7).isoformat(),
        "period_start": days(8).isoformat(),
        "period_end": "2100-01-01",
    }
    response = client.post("/orders/new/", data)
    assert response.status_code in (200, 400)
    assert 'data-testid="error-period_end"' in response.content.decode()
    assert Order.objects.count() == 0
