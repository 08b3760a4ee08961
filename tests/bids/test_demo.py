"""The bids demo: one order awarded and rated (its draft contract waiting, its winner seated once
that is approved), one open with bids; loaded once."""

import time

import pytest

from bids.demo import demo_bids_load
from bids.models import Bid, Order
from bids.selectors import order_bids
from ledger import services as ledger_services
from ledger.demo import demo_ledger_load
from orgs.demo import demo_users_load
from orgs.demo_org import demo_org_load


@pytest.mark.django_db
def test_the_demo_puts_out_a_rated_order_and_an_open_one_with_bids():
    users = demo_users_load()
    demo_org_load(users=users, progress=lambda *_: None)
    demo_ledger_load(users=users, progress=lambda *_: None)
    started = time.monotonic()
    summary = demo_bids_load(users=users, progress=lambda *_: None)
    assert time.monotonic() - started < 10  # cheap: a few seconds at most, even on a busy machine
    rated = Order.objects.get(status="rated")
    assert (rated.stars, rated.contract.status) == (4, "draft")
    # the winner joins the EMC when a second admin approves the version, from its effective date
    seat = rated.emc.nodes.filter(me__code="logistics-node", left_on__isnull=True, share_weight=10)
    assert not seat.exists()
    ledger_services.contract_approve(actor=users["admin2"], contract=rated.contract)
    assert seat.get().joined_on == rated.contract.effective_from
    opened = Order.objects.get(status="open")
    bids = order_bids(order=opened)
    assert len(bids) == 3 and {bool(b.me_id) for b in bids} == {True, False}
    # the logistics ME's rated delivery is shown beside its new bid
    assert next(b.record for b in bids if b.me_id and b.me.code == "logistics-node") == {
        "mean": 4.0,
        "count": 1,
    }
    assert "1 open" in summary
    assert demo_bids_load(users=users, progress=lambda *_: None) == "orders already loaded"
    assert Bid.objects.count() == 5
