"""The demo's orders for bids, put out and worked through the services as the people would:
one order of the smart-balcony experience EMC bid on, awarded after its deadline, delivered and
rated (its draft contract version waits for a second admin's approval: the winner joins the EMC
when it is approved), and one open with an ME's and a partner's bid.
Called by `manage.py demo_load` after the other loaders; safe to run again."""

import datetime as dt

from django.utils import timezone

from bids import services
from bids.models import Order
from orgs.demo_org import MARKER_ME
from orgs.models import EMC, Microenterprise, Partner

EMC_CODE = "balcony-exp"


def demo_bids_load(*, users, progress) -> str:
    if Order.objects.exists():
        return "orders already loaded"
    emc = EMC.objects.filter(code=EMC_CODE, status=EMC.Status.ACTIVE, lead_me__code=MARKER_ME).first()
    if emc is None or not emc.contracts.filter(status="approved").exists():
        return "no balcony EMC with a contract: load the organization and the ledger demo first"
    admin, leader = users["admin"], users["leader"]
    scenario = emc.scenarios.order_by("code").first()
    today = timezone.localdate()

    # the rated order's story starts after the EMC's latest seat change (a seat cannot change
    # before it began), at most 60 days ago, and ends with the rating yesterday
    seated = set(emc.nodes.filter(left_on__isnull=True).values_list("me_id", flat=True))
    latest_join = max(emc.nodes.filter(left_on__isnull=True).values_list("joined_on", flat=True))
    start = max(latest_join, today - dt.timedelta(days=60))
    if (today - start).days < 8:
        return "the balcony EMC's seats changed too recently for a delivered order"

    def day(n: int) -> dt.date:
        return start + dt.timedelta(days=n)

    outsiders = Microenterprise.objects.filter(status=Microenterprise.Status.ACTIVE).exclude(pk__in=seated)
    logistics = outsiders.filter(code="logistics-node").first() or outsiders.order_by("code").first()
    design = outsiders.exclude(pk=logistics.pk).order_by("code").first()
    partners = list(Partner.objects.filter(state=Partner.State.ACTIVE).order_by("code")[:2])

    progress("bids: an order awarded and rated, one open with bids")
    done = services.order_create(
        actor=leader,
        emc=emc,
        scenario=scenario,
        title="Balcony installs within 24 hours in the new districts",
        obligations="Install every balcony set sold in the new districts within 24 hours",
        goal="95% of installs within 24 hours; no install rated under 4 stars",
        share_pct="10",
        deadline=day(3),
        period_start=day(4),
        period_end=today - dt.timedelta(days=2),
        as_of=day(0),
    )
    won = services.bid_place(
        actor=admin,
        order=done,
        me=logistics,
        asked_share_pct="10",
        commitment="Two install crews per district, booked from the app",
        as_of=day(1),
    )
    services.bid_place(
        actor=admin,
        order=done,
        partner=partners[0],
        asked_share_pct="9",
        commitment="Installs by our certified fitters",
        as_of=day(2),
    )
    services.order_award(
        actor=leader, order=done, bid=won, reason="Own crews, fastest to start", as_of=day(4)
    )
    services.order_rate(
        actor=leader,
        order=done,
        stars=4,
        note="93% within 24 hours; the rest within 36. Users rated the installs 4.6 on average.",
        as_of=today - dt.timedelta(days=1),
    )

    open_order = services.order_create(
        actor=leader,
        emc=emc,
        scenario=scenario,
        title="Quiet heat-pump dryers for small balconies",
        obligations="Supply and connect heat-pump dryers that fit balconies under 3 m²",
        target_amount="500000",
        currency="CNY",
        goal="2,000 dryers sold, rated 4 stars or more",
        share_pct="8",
        deadline=today + dt.timedelta(days=14),
        period_start=today + dt.timedelta(days=15),
        period_end=today + dt.timedelta(days=105),
    )
    services.bid_place(
        actor=admin,
        order=open_order,
        me=design,
        asked_share_pct="6",
        commitment="A dryer cabinet designed for narrow balconies",
    )
    services.bid_place(
        actor=admin,
        order=open_order,
        partner=partners[-1],
        asked_share_pct="7.5",
        commitment="Our 55 dB heat-pump dryer, connected to the balcony app",
        target_amount="450000",
    )
    services.bid_place(
        actor=admin,
        order=open_order,
        me=logistics,
        asked_share_pct="5",
        commitment="Deliver and connect every dryer within 24 hours",
    )
    return "2 orders (1 awarded and rated, 1 open with 3 bids)"
