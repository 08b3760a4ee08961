"""Journey in a real Chromium: the EMC's lead puts an order out (a share over 100 is refused
first), an ME's leader and a partner's user bid on it, the lead awards the ME's bid behind a
confirmation once bidding has closed (a draft contract waits; the winner is seated when a second
admin approves it), and after the delivery period rates it; the rating is then shown beside the
ME's next bid. The pages fit 390 and 1366 px."""

import datetime as dt

import pytest
from django.utils import timezone

from bids import services
from bids.models import Order
from ledger import services as ledger_services
from orgs.models import EMCNode
from tests.bids.conftest import bidding_build, order_terms

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def _day(n: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=n)).isoformat()


def _fits(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    assert page.evaluate(OVERFLOW) <= 0, (page.url, width)


def test_an_order_is_put_out_bid_on_awarded_and_rated(login, page, monkeypatch):
    world = bidding_build()

    login("lena")  # leads the balcony EMC's lead ME
    page.wait_for_url("**/")
    page.get_by_test_id("menu-orders-menu").locator(".dropdown-toggle").click()
    page.get_by_test_id("menu-order-create").click()
    page.wait_for_url("**/orders/new/")
    page.select_option("#id_emc", "balcony-emc")
    page.select_option("#id_scenario", "balcony")
    page.fill("#id_title", "Quiet dryers for small balconies")
    page.fill("#id_target_amount", "50000")
    page.fill("#id_currency", "CNY")
    page.fill("#id_goal", "200 installations rated 4 stars or more")
    page.fill("#id_obligations", "Deliver and install 200 heat-pump dryers")
    page.fill("#id_share_pct", "120")
    page.fill("#id_deadline", _day(7))
    page.fill("#id_period_start", _day(8))
    page.fill("#id_period_end", _day(98))
    page.get_by_role("button", name="Put it out").click()
    assert "strictly between 0 and 100" in page.get_by_test_id("error-share_pct").inner_text()
    page.fill("#id_share_pct", "12.5")
    page.get_by_role("button", name="Put it out").click()
    page.wait_for_url("**/orders/*/")
    assert "Open for bids" in page.get_by_test_id("order-status").inner_text()
    assert page.get_by_test_id("order-share").inner_text() == "12.5%"
    order = Order.objects.get()
    for width in (390, 1366):
        _fits(page, width)
    page.goto("/orders/")
    for width in (390, 1366):
        _fits(page, width)
    page.get_by_role("button", name="Log out").click()

    login("dora")  # leads the Dryer ME
    page.wait_for_url("**/")
    page.goto(f"/orders/{order.pk}/")
    form = page.get_by_test_id("bid-form")
    form.locator("#id_bidder").select_option("me:d-me")
    form.locator("#id_asked_share_pct").fill("12.5")
    form.locator("#id_commitment").fill("200 dryers installed within 48 hours")
    form.get_by_role("button", name="Place the bid").click()
    page.wait_for_url(f"**/orders/{order.pk}/")
    assert "200 dryers installed" in page.get_by_test_id("bid-d-me").inner_text()
    assert "none rated yet" in page.get_by_test_id("record-d-me").inner_text()
    page.get_by_role("button", name="Log out").click()

    login("firm")  # the user of the active partner Aurora Dryers
    page.wait_for_url("**/")
    page.get_by_test_id("menu-orders-menu").locator(".dropdown-toggle").click()
    page.get_by_test_id("menu-orders").click()
    page.get_by_test_id("order-open").click()
    form = page.get_by_test_id("bid-form")
    form.locator("#id_asked_share_pct").fill("8")
    form.locator("#id_commitment").fill("150 dryers from our own line")
    form.locator("#id_target_amount").fill("60000")
    form.get_by_role("button", name="Place the bid").click()
    page.wait_for_url(f"**/orders/{order.pk}/")
    assert "CN¥60,000.00" in page.get_by_test_id("bid-p2").inner_text()
    assert page.get_by_test_id("award-d-me").count() == 0  # a bidder does not award
    page.get_by_role("button", name="Log out").click()

    # bidding has closed (the server runs in this process: its today moves too)
    monkeypatch.setattr(services, "_today", lambda: timezone.localdate() + dt.timedelta(days=8))
    login("lena")
    page.wait_for_url("**/")
    page.goto(f"/orders/{order.pk}/")
    page.get_by_test_id("award-d-me").click()
    award = page.get_by_test_id("award-form-d-me")
    assert "gives Dryer ME 12.5%" in award.inner_text()
    assert "when a second admin approves that version" in award.inner_text()
    award.locator("textarea[name=reason]").fill("Own crews, fastest to start")
    award.locator("input[name=confirm]").check()
    award.get_by_role("button", name="Award this bid").click()
    page.wait_for_url(f"**/orders/{order.pk}/")
    assert "Awarded" in page.get_by_test_id("order-status").inner_text()
    assert "balcony-emc v2 (Draft)" in page.get_by_test_id("order-contract").inner_text()

    def seats():
        return {
            n.me.code: n.share_weight for n in EMCNode.objects.filter(emc=world.emc, left_on__isnull=True)
        }

    assert seats() == {"l-me": 50, "a-me": 30, "b-me": 20}  # not before the version is approved
    ledger_services.contract_approve(actor=world.admin, contract=Order.objects.get().contract)
    assert seats() == {"l-me": 43.75, "a-me": 26.25, "b-me": 17.5, "d-me": 12.5}

    # the delivery period is over (the server runs in this process: its today moves too)
    monkeypatch.setattr(services, "_today", lambda: timezone.localdate() + dt.timedelta(days=99))
    page.reload()
    rate = page.get_by_test_id("rate-form")
    rate.locator("#id_stars").select_option("4")
    rate.locator("#id_note").fill("190 installed on time, 10 late")
    rate.locator("#id_confirm").check()
    rate.get_by_role("button", name="Rate").click()
    page.wait_for_url(f"**/orders/{order.pk}/")
    assert "4★" in page.get_by_test_id("order-rating").inner_text()
    monkeypatch.undo()

    # the next order: the Dryer ME's bid shows its rated delivery
    later = services.order_create(
        actor=world.lead, **order_terms(world, title="Balcony dryers, second round")
    )
    services.bid_place(
        actor=world.bidder, order=later, me=world.me_d, asked_share_pct="10", commitment="Again"
    )
    page.goto(f"/orders/{later.pk}/")
    assert "4.0★ over 1 delivery" in page.get_by_test_id("record-d-me").inner_text()
    for width in (390, 1366):
        _fits(page, width)
