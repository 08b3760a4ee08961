"""Reads of the orders for bids: the filtered list, an order's bids with each bidder's record
of rated deliveries, the open orders of the dashboard. Each in a fixed number of queries."""

from django.db.models import Avg, Count, Q, QuerySet

from bids.models import Bid, Order
from orgs.roles import Role, user_roles
from orgs.selectors import partner_of_user


def _sealed_partner(viewer):
    """The partner whose bids alone a `viewer` may see (None: the company's people see all).
    A partner user without a partner gets a partner id no bid has."""
    if viewer is None or user_roles(viewer) != {Role.PARTNER}:
        return None
    own = partner_of_user(user=viewer)
    return own.pk if own is not None else 0


def order_list(
    *, status: str = "", emc: str = "", scenario: str = "", q: str = "", viewer=None
) -> QuerySet[Order]:
    """Orders, newest first, with what the list shows (one query with the bid counts).

    Bids are sealed: for a `viewer` who is only a partner user, `bid_count` counts its own
    partner's bids only, never a competitor's."""
    live = ~Q(bids__status=Bid.Status.WITHDRAWN)
    sealed = _sealed_partner(viewer)
    if sealed is not None:
        live &= Q(bids__partner_id=sealed)
    qs = Order.objects.select_related("emc", "scenario").annotate(bid_count=Count("bids", filter=live))
    if status:
        qs = qs.filter(status=status)
    if emc:
        qs = qs.filter(emc__code=emc)
    if scenario:
        qs = qs.filter(scenario__code=scenario)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(goal__icontains=q) | Q(obligations__icontains=q))
    return qs.order_by("-created_at", "-id")


def order_bids(*, order: Order, viewer=None) -> list[Bid]:
    """The order's bids, oldest first, each with `record`: the bidder's earlier rated deliveries
    (mean stars and count, other orders only). Two queries whatever the number of bids.

    Bids are sealed from outside firms: a `viewer` who is only a partner user sees its own
    partner's bids, never a competitor's asked share or commitment; the company's people see all."""
    bids = order.bids.select_related("me", "partner", "placed_by").order_by("placed_at", "id")
    sealed = _sealed_partner(viewer)
    if sealed is not None:
        bids = bids.filter(partner_id=sealed)
    bids = list(bids)
    records = bidder_records(
        me_ids={b.me_id for b in bids if b.me_id},
        partner_ids={b.partner_id for b in bids if b.partner_id},
        exclude_order=order,
    )
    for bid in bids:
        bid.record = records.get(("me", bid.me_id) if bid.me_id else ("partner", bid.partner_id))
    return bids


def bidder_records(*, me_ids=(), partner_ids=(), exclude_order: Order | None = None) -> dict:
    """{("me"|"partner", id): {"mean": Decimal-like float, "count": n}} of rated deliveries won
    by these bidders (one query)."""
    if not me_ids and not partner_ids:
        return {}
    won = Bid.objects.filter(status=Bid.Status.WON, order__status=Order.Status.RATED).filter(
        Q(me_id__in=list(me_ids)) | Q(partner_id__in=list(partner_ids))
    )
    if exclude_order is not None:
        won = won.exclude(order=exclude_order)
    rows = won.values("me_id", "partner_id").annotate(mean=Avg("order__stars"), count=Count("id"))
    return {
        (("me", row["me_id"]) if row["me_id"] else ("partner", row["partner_id"])): {
            "mean": round(float(row["mean"]), 1),
            "count": row["count"],
        }
        for row in rows
    }


def open_orders(*, viewer=None) -> QuerySet[Order]:
    """Open orders, nearest deadline first, with their live bid counts (sealed as `order_list`)."""
    return order_list(status=Order.Status.OPEN, viewer=viewer).order_by("deadline", "id")


def winning_bid(*, order: Order) -> Bid | None:
    return order.bids.select_related("me", "partner").filter(status=Bid.Status.WON).first()
