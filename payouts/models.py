"""Payout periods, their nightly reports and report lines, approvals and co-investments.

A period is (period kind, start, end, currency): every EMC whose contract version in force at
the period's start has that kind and currency has its lines in the period's one report. Lines
are keyed (`key`, unique per report): a recompute replaces a draft's lines in one transaction,
so re-running a night never duplicates a line. Amounts are integer minor units of the report's
currency, positive = owed to the party.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger.models import Contract, ContractGoal, ContractTier, Transaction
from orgs.models import EMC, Microenterprise, Partner


class PayoutPeriod(models.Model):
    kind = models.CharField(max_length=8, choices=Contract.Period.choices)
    start = models.DateField()
    end = models.DateField()
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["-start", "kind", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "start", "currency"], name="payout_period_unique"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="payout_period_ordered"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.start} to {self.end} {self.currency}"


class PayoutReport(models.Model):
    """The period's report: a draft recomputed nightly, then submitted, approved, locked."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        LOCKED = "locked", _("Locked")

    period = models.OneToOneField(PayoutPeriod, on_delete=models.PROTECT, related_name="report")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    computed_for = models.DateField(null=True, blank=True, help_text=_("The night last computed."))
    computations = models.PositiveIntegerField(default=0)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    locked_at = models.DateTimeField(null=True, blank=True)
    # the one payables transaction of the lock (unique: a report posts its payables once)
    payables_transaction = models.OneToOneField(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="payout_report"
    )

    class Meta:
        ordering = ["-period__start", "period__kind", "period__currency"]

    def __str__(self):
        return f"{self.period} ({self.get_status_display()})"


class PayoutLine(models.Model):
    """One party's figures in a report, with what produced them (`explanation`)."""

    class Kind(models.TextChoices):
        EMC = "emc", _("EMC")
        ME = "me", _("Microenterprise")
        MEMBER = "member", _("Member")
        PARTNER = "partner", _("Partner")
        PLATFORM = "platform", _("Platform fee")

    report = models.ForeignKey(PayoutReport, on_delete=models.CASCADE, related_name="lines")
    key = models.CharField(max_length=80)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    emc = models.ForeignKey(EMC, on_delete=models.PROTECT, related_name="+")
    me = models.ForeignKey(Microenterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    events = models.PositiveIntegerField(default=0)
    value_minor = models.BigIntegerField(default=0, help_text=_("Attributed user-paid value, net."))
    accrued_minor = models.BigIntegerField(default=0)
    capped_minor = models.BigIntegerField(default=0)
    adjustment_minor = models.BigIntegerField(default=0, help_text=_("Prior-period adjustments."))
    held_back_minor = models.BigIntegerField(default=0)
    release_on = models.DateField(null=True, blank=True)
    released_minor = models.BigIntegerField(default=0)
    carried_in_minor = models.BigIntegerField(default=0)
    carried_out_minor = models.BigIntegerField(default=0)
    coinvest_minor = models.BigIntegerField(default=0)
    coinvest_returned_minor = models.BigIntegerField(default=0)
    coinvest_forfeited_minor = models.BigIntegerField(default=0)
    payable_minor = models.BigIntegerField(default=0)
    previous_payable_minor = models.BigIntegerField(
        null=True, blank=True, help_text=_("The payable of the computation before (what changed).")
    )
    contract_versions = models.CharField(max_length=60, blank=True)
    tier = models.CharField(max_length=30, blank=True)
    rate_pct = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    goal = models.CharField(max_length=120, blank=True)
    explanation = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["report", "emc", "kind", "me", "user", "partner"]
        constraints = [models.UniqueConstraint(fields=["report", "key"], name="payout_line_key_unique")]
        indexes = [
            models.Index(fields=["report", "kind"]),
            models.Index(fields=["user", "report"]),
            models.Index(fields=["emc", "me", "kind"]),
        ]

    def __str__(self):
        return f"{self.key} {self.payable_minor} {self.currency}"


class PayoutApproval(models.Model):
    """One finance approval of a submitted report (never by its submitter; once per person)."""

    report = models.ForeignKey(PayoutReport, on_delete=models.CASCADE, related_name="approvals")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(default=timezone.now)
    # what the approver saw: the ledger and the report agreed to the minor unit (the figures)
    reconciled = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["report", "approved_at"]
        constraints = [
            models.UniqueConstraint(fields=["report", "approved_by"], name="payout_approval_once_per_person")
        ]

    def __str__(self):
        return f"{self.report_id} ✓ {self.approved_by_id}"


class CoInvestment(models.Model):
    """A member's stake in an EMC's bet for one contract period (returned or forfeited)."""

    emc = models.ForeignKey(EMC, on_delete=models.PROTECT, related_name="+")
    me = models.ForeignKey(Microenterprise, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["emc", "period_start", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["emc", "me", "user", "period_start", "currency"], name="coinvestment_unique"
            ),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="coinvestment_positive"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.amount_minor} {self.currency} in {self.emc_id}"


class PayoutInquiry(models.Model):
    """A member's or ME leader's question about a line; finance answers and resolves it with a
    reason. The thread stays with the report (and every step is in the audit trail)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    line = models.ForeignKey(PayoutLine, on_delete=models.PROTECT, related_name="inquiries")
    report = models.ForeignKey(PayoutReport, on_delete=models.PROTECT, related_name="inquiries")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name_plural = _("payout inquiries")

    def __str__(self):
        return f"inquiry {self.pk} on {self.line_id} ({self.status})"


class PayoutInquiryMessage(models.Model):
    inquiry = models.ForeignKey(PayoutInquiry, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    text = models.TextField()

    class Meta:
        ordering = ["inquiry", "at", "id"]

    def __str__(self):
        return f"{self.inquiry_id} · {self.author_id}"


class PayoutAdjustment(models.Model):
    """A prior-period adjustment applied in `report`: what changed in the locked `source` report's
    period (late events, refunds, reversals) since it was reckoned, per EMC and ME. The accrual a
    locked period has already paid is its line's plus the adjustments of locked reports after it
    (so an adjustment is taken once, in the next open period, whatever the distance back)."""

    report = models.ForeignKey(PayoutReport, on_delete=models.CASCADE, related_name="adjustments")
    source = models.ForeignKey(PayoutReport, on_delete=models.PROTECT, related_name="+")
    emc = models.ForeignKey(EMC, on_delete=models.PROTECT, related_name="+")
    me = models.ForeignKey(Microenterprise, on_delete=models.PROTECT, related_name="+")
    accrued_before_minor = models.BigIntegerField(help_text=_("The accrual paid for the period so far."))
    accrued_now_minor = models.BigIntegerField()
    amount_minor = models.BigIntegerField()

    class Meta:
        ordering = ["report", "source", "emc", "me"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "source", "emc", "me"], name="payout_adjustment_once_per_source"
            ),
        ]
        indexes = [models.Index(fields=["source", "emc", "me"])]

    def __str__(self):
        return f"{self.report_id} ← {self.source_id} {self.me_id} {self.amount_minor}"


class TierGate(models.Model):
    """A contract tier whose rate applies only when a VAM vertical goal of the same contract
    version is met (by the EMC's scoring figure as of the period's last scored night); when it
    is not, the value in that band earns the highest ungated rate below it (docs/payouts.md)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="+")
    tier = models.OneToOneField(ContractTier, on_delete=models.CASCADE, related_name="gate")
    goal = models.ForeignKey(ContractGoal, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["contract", "tier"]

    def __str__(self):
        return f"{self.tier} needs {self.goal}"
