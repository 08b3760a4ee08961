"""Row locks and the unique key: two awards of one order at once leave one winner and one draft
contract; two bids of one bidder at once leave one live bid."""

import threading

import pytest
from django.db import connection

from bids import services
from bids.models import Bid, Order
from config.errors import ConflictError
from ledger.models import Contract
from tests.bids.conftest import bidding_build, days, order_terms

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes = []

    def run(call):
        try:
            barrier.wait()
            call()
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


def test_two_awards_at_once_leave_one_winner_and_one_draft():
    world = bidding_build()
    order = services.order_create(actor=world.lead, **order_terms(world))
    me_bid = services.bid_place(
        actor=world.bidder, order=order, me=world.me_d, asked_share_pct="10", commitment="x"
    )
    firm_bid = services.bid_place(
        actor=world.firm, order=order, partner=world.p2, asked_share_pct="8", commitment="y"
    )
    outcomes = _race(
        lambda: services.order_award(actor=world.lead, order=order, bid=me_bid, as_of=days(8)),
        lambda: services.order_award(actor=world.admin, order=order, bid=firm_bid, as_of=days(8)),
    )
    assert outcomes == ["conflict", "ok"]
    assert Order.objects.get(pk=order.pk).status == "awarded"
    assert sorted(Bid.objects.values_list("status", flat=True)) == ["lost", "won"]
    assert Contract.objects.filter(emc=world.emc, status="draft").count() == 1


def test_two_bids_of_one_bidder_at_once_leave_one_live_bid():
    world = bidding_build()
    order = services.order_create(actor=world.lead, **order_terms(world))
    outcomes = _race(
        *(
            lambda share=share: services.bid_place(
                actor=world.bidder, order=order, me=world.me_d, asked_share_pct=share, commitment="x"
            )
            for share in ("10", "9")
        )
    )
    assert outcomes == ["conflict", "ok"]
    assert Bid.objects.filter(order=order).count() == 1
