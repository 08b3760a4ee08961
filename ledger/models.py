"""The value-sharing ledger: accounts, append-only double-entry transactions, daily rollups,
EMC contracts, value events, user signals, CSV import batches and idempotency records.

Sign convention: a leg is signed, debit > 0 and credit < 0; the legs of a transaction sum to
zero per currency. Transactions and legs are never updated or deleted (on PostgreSQL triggers
refuse it, see migration 0002); a correction is a reversing transaction. Write through
`ledger.services` / `ledger.posting` only.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgs.metric_catalog import goal_choices
from orgs.models import EMC, Category, Microenterprise, Partner, Scenario, Solution

PCT_VALIDATORS = [MinValueValidator(0), MaxValueValidator(100)]


def pct_field(**kwargs):
    return models.DecimalField(max_digits=7, decimal_places=4, validators=PCT_VALIDATORS, **kwargs)


def pct_in_range(field_name: str) -> Q:
    return Q(**{f"{field_name}__gte": 0}) & Q(**{f"{field_name}__lte": 100})


# --- Accounts and transactions -------------------------------------------------------------


class Account(models.Model):
    """One account per owner and currency, created on first use (codes like `me:<code>:CNY`)."""

    class Kind(models.TextChoices):
        CLEARING = "clearing", _("User-payments clearing")
        PLATFORM = "platform", _("Platform service fee")
        EMC_HOLDBACK = "emc_holdback", _("EMC holdback")
        ME = "me", _("Microenterprise")
        PARTNER = "partner", _("Partner")
        PAYABLE = "payable", _("Payouts payable")

    # debit-normal kinds: a positive net is a positive balance; the others are credit-normal
    DEBIT_NORMAL = (Kind.CLEARING,)

    code = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, db_index=True)
    me = models.ForeignKey(
        Microenterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    emc = models.ForeignKey(EMC, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts")
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    currency = models.CharField(max_length=3)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="account_owner_matches_kind",
                condition=(
                    Q(kind="me", me__isnull=False, emc__isnull=True, partner__isnull=True)
                    | Q(kind="partner", partner__isnull=False, me__isnull=True, emc__isnull=True)
                    | Q(kind="emc_holdback", emc__isnull=False, me__isnull=True, partner__isnull=True)
                    | Q(
                        kind__in=["clearing", "platform", "payable"],
                        me__isnull=True,
                        emc__isnull=True,
                        partner__isnull=True,
                    )
                ),
            ),
        ]

    def __str__(self):
        return self.code

    @property
    def normal_sign(self) -> int:
        """+1 for debit-normal accounts, -1 for credit-normal (what the owner is owed)."""
        return 1 if self.kind in self.DEBIT_NORMAL else -1


class Transaction(models.Model):
    """A balanced set of legs; never changed: a correction is a reversing transaction."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("User payment")
        REFUND = "refund", _("Refund")
        REVERSAL = "reversal", _("Reversal")
        ADJUSTMENT = "adjustment", _("Adjustment")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    effective_on = models.DateField(help_text=_("The business date (in the platform's time zone)."))
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    memo = models.CharField(max_length=255, blank=True)
    contract = models.ForeignKey("Contract", null=True, blank=True, on_delete=models.PROTECT)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["effective_on"])]

    def __str__(self):
        return f"#{self.pk} {self.kind} {self.effective_on}"


class Leg(models.Model):
    """One signed line of a transaction (debit > 0, credit < 0), with the rule that made it."""

    # References without per-row FK triggers (db_constraint=False): legs are the ledger's
    # highest-volume rows (~8 per event), and PostgreSQL checks a FK with one lookup per row and
    # column at commit, which cost more than everything else in a bulk import. On PostgreSQL the
    # statement-level trigger `ledger_leg_checked` (migration 0006) checks all three references,
    # and that the leg's currency is its account's, with one set-based query per INSERT/COPY;
    # the referenced rows are never deleted (transactions are append-only, accounts and
    # contracts refuse DELETE), so checking on insert is enough.
    transaction = models.ForeignKey(
        Transaction, on_delete=models.PROTECT, related_name="legs", db_constraint=False
    )
    # (account, effective_on) below serves lookups by account: no separate account index
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="legs", db_constraint=False, db_index=False
    )
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    effective_on = models.DateField()
    rule = models.CharField(max_length=20)
    # the transaction carries the contract too (and is indexed): none here
    contract = models.ForeignKey(
        "Contract",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    basis = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["transaction", "id"]
        constraints = [models.CheckConstraint(condition=~Q(amount_minor=0), name="leg_amount_not_zero")]
        indexes = [
            models.Index(fields=["account", "effective_on"]),
            # a period's legs of every account (payouts): without it PostgreSQL scans all
            # history's legs (bench/HISTORY.md, "Payouts at the haier scale")
            models.Index(fields=["effective_on"], name="leg_effective_on"),
        ]

    def __str__(self):
        return f"{self.account_id} {self.amount_minor} {self.currency}"


# Stripes per (account, day) of the daily rollup. Every posting of a day hits the same few
# accounts (clearing, platform fee, the EMC's holdback), so ONE rollup row per (account, day)
# would serialize all concurrent postings on its row lock until commit. A posting writes the
# stripe `transaction id % ROLLUP_SLOTS`, so up to that many postings proceed side by side.
# Trade-off: a balance reads up to days x ROLLUP_SLOTS rows (still independent of the number
# of legs); 8 covers the 2-core machine's useful concurrency with room to spare.
ROLLUP_SLOTS = 8


class AccountDay(models.Model):
    """Daily rollup of an account's legs, kept in the posting's DB transaction, striped in
    `ROLLUP_SLOTS` rows per (account, day) (see ROLLUP_SLOTS).

    The balance as of D is the sum of `net_minor` up to D over all slots: its cost grows with
    days, not legs.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="days")
    day = models.DateField()
    slot = models.PositiveSmallIntegerField(default=0)
    net_minor = models.BigIntegerField(default=0)
    debit_minor = models.BigIntegerField(default=0)
    credit_minor = models.BigIntegerField(default=0)
    legs = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["account", "day", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["account", "day", "slot"], name="account_day_slot_unique")
        ]

    def __str__(self):
        return f"{self.account_id} {self.day}/{self.slot} {self.net_minor}"


# --- Contracts -----------------------------------------------------------------------------


class Contract(models.Model):
    """An EMC contract version: approved by a platform admin before it applies; then immutable.

    In force on day d: the approved contract of the EMC with the greatest (effective_from,
    version) such that effective_from <= d. Every number is data, none is a constant in code.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Period(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")
        YEAR = "year", _("Year")

    emc = models.ForeignKey(EMC, on_delete=models.PROTECT, related_name="contracts")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    effective_from = models.DateField()
    currency = models.CharField(max_length=3)
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.MONTH)
    platform_fee_pct = pct_field()
    target_minor = models.BigIntegerField(help_text=_("Period target of user-paid value."))
    base_rate_pct = pct_field(help_text=_("Sharing rate on value up to the target."))
    floor_minor = models.BigIntegerField(default=0, help_text=_("No incentive accrues below this value."))
    cap_minor = models.BigIntegerField(null=True, blank=True, help_text=_("Per-ME per-period cap."))
    holdback_pct = pct_field()
    holdback_days = models.PositiveIntegerField(default=0)
    # payout terms (payouts app): amounts under the minimum payout carry forward; a met bet
    # returns members' co-investment with this share on top, a failed one forfeits it
    min_payout_minor = models.BigIntegerField(
        default=0, help_text=_("Payable amounts below this carry forward to the next period.")
    )
    coinvest_return_pct = pct_field(
        default=0, help_text=_("Return on members' co-investment when the bet (the target) is met.")
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["emc", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["emc", "version"], name="contract_version_unique"),
            models.CheckConstraint(condition=pct_in_range("platform_fee_pct"), name="contract_fee_pct_range"),
            models.CheckConstraint(condition=pct_in_range("base_rate_pct"), name="contract_base_rate_range"),
            models.CheckConstraint(condition=pct_in_range("holdback_pct"), name="contract_holdback_range"),
            models.CheckConstraint(condition=Q(target_minor__gt=0), name="contract_target_positive"),
            models.CheckConstraint(condition=Q(floor_minor__gte=0), name="contract_floor_not_negative"),
            models.CheckConstraint(
                condition=Q(min_payout_minor__gte=0), name="contract_min_payout_not_negative"
            ),
            models.CheckConstraint(
                condition=pct_in_range("coinvest_return_pct"), name="contract_coinvest_return_range"
            ),
        ]
        indexes = [models.Index(fields=["emc", "status", "effective_from"])]

    def __str__(self):
        return f"{self.emc.code} v{self.version}"


class ContractTier(models.Model):
    """Above `threshold_pct` of the target, value shares at `rate_pct` (inflection points)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="tiers")
    threshold_pct = models.DecimalField(max_digits=7, decimal_places=2, validators=[MinValueValidator(0)])
    rate_pct = pct_field()

    class Meta:
        ordering = ["contract", "threshold_pct"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "threshold_pct"], name="contract_tier_unique"),
        ]

    def __str__(self):
        return f"≥{self.threshold_pct}% → {self.rate_pct}%"


class ContractPartnerShare(models.Model):
    """A partner's share (%) of each event it took part in."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="partner_shares")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="contract_shares")
    share_pct = pct_field()

    class Meta:
        ordering = ["contract", "partner"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "partner"], name="contract_partner_unique"),
        ]

    def __str__(self):
        return f"{self.partner_id}: {self.share_pct}%"


class ContractNodeShare(models.Model):
    """A node ME's share (%) of the remainder after fee, partner shares and holdback."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="node_shares")
    me = models.ForeignKey(Microenterprise, on_delete=models.PROTECT, related_name="contract_shares")
    share_pct = pct_field()

    class Meta:
        ordering = ["contract", "me"]
        constraints = [models.UniqueConstraint(fields=["contract", "me"], name="contract_node_unique")]

    def __str__(self):
        return f"{self.me_id}: {self.share_pct}%"


class ContractGoal(models.Model):
    """A VAM goal: horizontal (market results) or vertical (the ecosystem's value)."""

    class Axis(models.TextChoices):
        HORIZONTAL = "horizontal", _("Horizontal (market)")
        VERTICAL = "vertical", _("Vertical (ecosystem)")

    # one list: the metric catalogue's VAM goal figures (orgs.metric_catalog)
    Metric = models.TextChoices("Metric", [(code.upper(), (code, name)) for code, name in goal_choices()])

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="goals")
    axis = models.CharField(max_length=10, choices=Axis.choices)
    metric = models.CharField(max_length=30, choices=Metric.choices)
    target = models.DecimalField(max_digits=20, decimal_places=4)
    unit = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["contract", "axis", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "axis", "metric"], name="contract_goal_unique"),
        ]

    def __str__(self):
        return f"{self.axis} {self.metric} {self.target} {self.unit}"


# --- Value events and user signals ---------------------------------------------------------


class Source(models.TextChoices):
    UI = "ui", _("Web form")
    API = "api", _("API")
    CSV = "csv", _("CSV import")
    JOB = "job", _("Job / demo")


class ImportBatch(models.Model):
    """One CSV upload: validated whole, then posted all-or-nothing."""

    class Kind(models.TextChoices):
        EVENTS = "events", _("Value events")
        SIGNALS = "signals", _("User signals")
        INDICATORS = "indicators", _("Purpose indicators")

    class Status(models.TextChoices):
        VALIDATING = "validating", _("Validating")  # a background task is validating it
        VALIDATED = "validated", _("Validated")
        POSTING = "posting", _("Posting")  # a background task is posting it
        FAILED = "failed", _("Failed")
        POSTED = "posted", _("Posted")

    IN_PROGRESS = (Status.VALIDATING, Status.POSTING)

    kind = models.CharField(max_length=10, choices=Kind.choices)
    filename = models.CharField(max_length=255)
    file = models.FileField(upload_to="ledger-imports/%Y/%m/", blank=True)
    rows = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, db_index=True)
    errors = models.PositiveIntegerField(default=0)
    error_report = models.TextField(blank=True, help_text=_("CSV: row, column, message."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # when its latest background task was queued (stale ones are failed: ledger.import_sweep)
    queued_at = models.DateTimeField(null=True, blank=True)
    # when a background task last took the batch up (it holds the batch's advisory lock from
    # then on: ledger.imports.liveness); null until one starts
    started_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("import batches")

    def __str__(self):
        return f"{self.filename} ({self.status})"


class ValueEvent(models.Model):
    """A user payment or refund logged by an ME leader; posts one balanced transaction."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("User payment")
        REFUND = "refund", _("Refund")

    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PAYMENT)
    # (me, occurred_on) and (emc, occurred_on) below serve lookups by ME and EMC
    me = models.ForeignKey(
        Microenterprise, on_delete=models.PROTECT, related_name="value_events", db_index=False
    )
    emc = models.ForeignKey(EMC, on_delete=models.PROTECT, related_name="value_events", db_index=False)
    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="value_events")
    solution = models.ForeignKey(Solution, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="value_events")
    user_ref = models.CharField(max_length=64, help_text=_("Pseudonymous end-user reference."))
    amount_minor = models.BigIntegerField(help_text=_("Always positive; the kind gives the sign."))
    currency = models.CharField(max_length=3)
    occurred_at = models.DateTimeField()
    occurred_on = models.DateField()
    customized = models.BooleanField(default=False)
    partners = models.ManyToManyField(
        Partner, through="ValueEventPartner", related_name="value_events", blank=True
    )
    original = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    transaction = models.OneToOneField(Transaction, on_delete=models.PROTECT, related_name="value_event")
    note = models.CharField(max_length=255, blank=True)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    logged_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=4, choices=Source.choices)
    import_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="value_events"
    )
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="value_event_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind="payment", original__isnull=True) | Q(kind="refund", original__isnull=False),
                name="value_event_refund_has_original",
            ),
            models.UniqueConstraint(
                fields=["logged_by", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="value_event_idempotency_key_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["emc", "occurred_on"]),
            models.Index(fields=["me", "occurred_on"]),
            # the nightly scoring reads what was recorded since its last cut-off
            models.Index(fields=["logged_at"], name="value_event_logged_at"),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk} {self.amount_minor} {self.currency}"


class ValueEventPartner(models.Model):
    # the unique (event, partner) constraint's index serves lookups by event
    event = models.ForeignKey(
        ValueEvent, on_delete=models.PROTECT, related_name="partner_links", db_index=False
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "partner"], name="value_event_partner_unique")
        ]

    def __str__(self):
        return f"{self.event_id} · {self.partner_id}"


class UserSignal(models.Model):
    """What the metrics need besides money: ratings, co-creation, stories, ownership."""

    class Kind(models.TextChoices):
        RATING = "rating", _("Experience rating")
        CO_CREATION = "co_creation", _("Co-creation participation")
        STORY = "story", _("Shared experience story")
        OWNERSHIP = "ownership", _("Product ownership / related purchase")

    class CoCreationKind(models.TextChoices):
        IDEA = "idea", _("Idea")
        TEST = "test", _("Test")
        CROWD_STREAMING = "crowd_streaming", _("Crowd streaming")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    me = models.ForeignKey(Microenterprise, on_delete=models.PROTECT, related_name="user_signals")
    emc = models.ForeignKey(EMC, on_delete=models.PROTECT, related_name="user_signals")
    scenario = models.ForeignKey(Scenario, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    solution = models.ForeignKey(Solution, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    user_ref = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    occurred_on = models.DateField()
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    expectation = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    co_creation_kind = models.CharField(max_length=16, choices=CoCreationKind.choices, null=True, blank=True)
    products_owned = models.PositiveIntegerField(null=True, blank=True)
    related_purchase = models.BooleanField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    logged_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=4, choices=Source.choices)
    import_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="signals"
    )
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5, expectation__isnull=False),
                name="signal_rating_with_expectation",
            ),
            models.CheckConstraint(
                condition=Q(expectation__isnull=True) | Q(expectation__gte=1, expectation__lte=5),
                name="signal_expectation_range",
            ),
            models.UniqueConstraint(
                fields=["logged_by", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="signal_idempotency_key_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["emc", "occurred_on"]),
            models.Index(fields=["me", "occurred_on"]),
            models.Index(fields=["kind", "occurred_on"]),
            models.Index(fields=["logged_at"], name="user_signal_logged_at"),
        ]

    def __str__(self):
        return f"{self.kind} {self.user_ref} {self.occurred_on}"


# --- API idempotency -----------------------------------------------------------------------


class IdempotencyRecord(models.Model):
    """The first response to an API write, replayed when the same key comes again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    response_body = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique")]

    def __str__(self):
        return f"{self.user_id}:{self.key}"


# --- purpose indicators (metrics 1 and 2) --------------------------------------------------


class PurposeIndicator(models.Model):
    """What an EMC did for society on a day, logged by an ME leader like a value event:
    append-only (a mistake is corrected by logging the difference, never by an edit)."""

    class Kind(models.TextChoices):
        CO2E_AVOIDED = "co2e_avoided", _("CO2e avoided")
        ENERGY_SAVED = "energy_saved", _("Energy saved")
        UNITS_RECYCLED = "units_recycled", _("Units recycled")
        PEOPLE_SERVED = "people_served", _("People served")

    # the one unit each kind is logged in: nothing is converted
    UNITS = {
        Kind.CO2E_AVOIDED: "kg CO2e",
        Kind.ENERGY_SAVED: "kWh",
        Kind.UNITS_RECYCLED: "units",
        Kind.PEOPLE_SERVED: "people",
    }

    kind = models.CharField(max_length=16, choices=Kind.choices)
    me = models.ForeignKey(Microenterprise, on_delete=models.PROTECT, related_name="purpose_indicators")
    emc = models.ForeignKey(EMC, on_delete=models.PROTECT, related_name="purpose_indicators", db_index=False)
    on = models.DateField(help_text=_("The day the indicator is for."))
    quantity = models.DecimalField(max_digits=18, decimal_places=3, validators=[MinValueValidator(0)])
    unit = models.CharField(max_length=12)
    note = models.CharField(max_length=255, blank=True)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    logged_at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=4, choices=Source.choices)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)

    class Meta:
        ordering = ["-on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="purpose_indicator_quantity_not_negative"
            ),
            models.UniqueConstraint(
                fields=["logged_by", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="purpose_indicator_idempotency_key_unique",
            ),
        ]
        indexes = [models.Index(fields=["emc", "on"])]

    def __str__(self):
        return f"{self.kind} {self.quantity} {self.unit} {self.emc_id} {self.on}"


# --- Verification (ledger.verification) ---------------------------------------------------


class LedgerSeal(models.Model):
    """One clean run of `verify_ledger`: the transactions it sealed, chained to the seal before.

    `window_hash` is the SHA-256 of the sealed transactions' digests in id order and
    `chain_hash` the SHA-256 of the previous seal's chain hash followed by this window hash
    (ledger.verification): a sealed row changed or removed no longer matches its digest, and
    digests rewritten to match no longer match the chain.
    """

    number = models.PositiveIntegerField(unique=True)  # one successor per seal: no fork
    sealed_at = models.DateTimeField(default=timezone.now)
    full = models.BooleanField(default=False, help_text=_("Whether the whole ledger was checked."))
    # the next verification looks at transactions created by DB transactions from this id on
    # (the oldest one still running when this seal was made, so none is ever skipped)
    scan_from = models.BigIntegerField()
    transactions = models.PositiveIntegerField()
    first_transaction_id = models.BigIntegerField()
    last_transaction_id = models.BigIntegerField()
    digest_version = models.PositiveSmallIntegerField(default=1)
    window_hash = models.CharField(max_length=64)
    chain_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("ledger seal")
        verbose_name_plural = _("ledger seals")

    def __str__(self):
        return f"#{self.number} {self.chain_hash[:12]}"


class SealedTransaction(models.Model):
    """A transaction's digest as sealed. No database constraint on the transaction: a sealed
    row that disappears must leave this row behind, which is how its removal is seen."""

    transaction = models.OneToOneField(
        Transaction,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="sealed",
    )
    seal = models.ForeignKey(LedgerSeal, on_delete=models.PROTECT, related_name="entries")
    digest = models.BinaryField(max_length=32)

    class Meta:
        ordering = ["transaction"]

    def __str__(self):
        return f"{self.transaction_id} @ seal {self.seal_id}"
