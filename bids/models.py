"""EMC orders put out for bids (抢单): an EMC puts a goal out, MEs and active partners bid for it,
the EMC lead or an admin awards one bid (the winner joins the EMC and a draft contract version
gives it the awarded share), and after the delivery period the delivery is rated in stars.

Every write goes through `bids.services`; the database repeats the rules it can hold (share
ranges, dates in order, one bidder per bid, one live bid per bidder and order, stars 1-5).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger.models import Contract
from orgs.models import EMC, Microenterprise, Partner, Scenario


def share_field(**kwargs):
    """A percentage with the contract's precision (four decimals)."""
    return models.DecimalField(max_digits=7, decimal_places=4, **kwargs)


class Order(models.Model):
    """A goal an EMC puts out for MEs and partners to bid on."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open for bids")
        AWARDED = "awarded", _("Awarded")
        RATED = "rated", _("Delivered and rated")
        CANCELLED = "cancelled", _("Cancelled")

    emc = models.ForeignKey(EMC, on_delete=models.PROTECT, related_name="orders")
    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="orders")
    title = models.CharField(_("title"), max_length=200)
    target_minor = models.BigIntegerField(_("target amount"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    goal = models.TextField(_("measurable goal"), blank=True)
    obligations = models.TextField(_("obligations"))
    share_pct = share_field(verbose_name=_("share on offer (%)"))
    deadline = models.DateField(_("bidding deadline"))
    period_start = models.DateField(_("delivery from"))
    period_end = models.DateField(_("delivery until"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    awarded_at = models.DateTimeField(null=True, blank=True)
    contract = models.ForeignKey(
        Contract,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The draft contract version the award made."),
    )
    stars = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_note = models.TextField(blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rated_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(share_pct__gt=0, share_pct__lt=100), name="order_share_range"),
            models.CheckConstraint(
                condition=Q(period_start__gt=F("deadline")), name="order_period_after_deadline"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="order_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(target_minor__isnull=True) | Q(target_minor__gt=0), name="order_target_positive"
            ),
            models.CheckConstraint(
                condition=Q(stars__isnull=True) | Q(stars__gte=1, stars__lte=5), name="order_stars_range"
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self):
        return f"{self.emc.code}: {self.title}"


class Bid(models.Model):
    """An ME's or a partner's bid: its commitment and the share it asks."""

    class Status(models.TextChoices):
        LIVE = "live", _("Live")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        WON = "won", _("Won")
        LOST = "lost", _("Not chosen")
        CLOSED = "closed", _("Closed: order cancelled")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="bids")
    me = models.ForeignKey(
        Microenterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="bids"
    )
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="bids")
    commitment = models.TextField(_("commitment"), blank=True)
    target_minor = models.BigIntegerField(_("committed amount"), null=True, blank=True)
    asked_share_pct = share_field(verbose_name=_("asked share (%)"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.LIVE, db_index=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["order", "placed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(me__isnull=False) & Q(partner__isnull=True))
                | (Q(me__isnull=True) & Q(partner__isnull=False)),
                name="bid_one_bidder",
            ),
            models.CheckConstraint(
                condition=Q(asked_share_pct__gt=0, asked_share_pct__lt=100), name="bid_share_range"
            ),
            models.CheckConstraint(
                condition=Q(target_minor__isnull=True) | Q(target_minor__gt=0), name="bid_target_positive"
            ),
            # one live (or won) bid per bidder and order; a withdrawn bid may be followed by another
            models.UniqueConstraint(
                fields=["order", "me"],
                condition=Q(me__isnull=False) & ~Q(status="withdrawn"),
                name="bid_one_live_per_me",
            ),
            models.UniqueConstraint(
                fields=["order", "partner"],
                condition=Q(partner__isnull=False) & ~Q(status="withdrawn"),
                name="bid_one_live_per_partner",
            ),
        ]

    def __str__(self):
        return f"{self.bidder_code} → {self.order_id}"

    @property
    def bidder(self):
        return self.me if self.me_id else self.partner

    @property
    def bidder_code(self) -> str:
        return self.me.code if self.me_id else self.partner.code

    @property
    def bidder_name(self) -> str:
        return self.me.name if self.me_id else self.partner.name
