"""The audit trail's names for the bids app's actions and fields (orgs.audit_display)."""

from django.utils.translation import gettext_lazy as _

from bids.models import Bid, Order

ACTIONS = {
    "bids.order_create": _("Order put out for bids"),
    "bids.order_cancel": _("Order cancelled"),
    "bids.order_award": _("Order awarded"),
    "bids.order_rate": _("Order rated"),
    "bids.bid_place": _("Bid placed"),
    "bids.bid_withdraw": _("Bid withdrawn"),
    "bids.winner_seat": _("Award's winner seated in the EMC"),
}

FIELDS = {
    "emc": _("EMC"),
    "share_pct": _("Share (%)"),
    "asked_share_pct": _("Asked share (%)"),
    "deadline": _("Deadline"),
    "period": _("Period"),
    "bidder": _("Bidder"),
    "winner": _("Winner"),
    "contract": _("Contract"),
    "stars": _("Stars"),
}

VALUES = {"status": dict(Order.Status.choices) | dict(Bid.Status.choices)}
