"""Partners and MEs judged by users: the nightly partner scorecards (more to come: the rules that
turn sustained poor user value into proposals, the ME matrix).

A `Scorecard` is one partner on one date, computed from the scoring rollups as recorded up to
that night's cut-off (judging/scorecards.py defines every figure). The headline columns are the
figures of the headline window (JUDGING_HEADLINE_WINDOW), in SCORING_CURRENCY, for the
comparison table's filters and sorting; `figures` holds every window with its trend and the
other currencies, never converted.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orgs.models import Partner
from scoring.models import NightlyRun


class Scorecard(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="scorecards")
    day = models.DateField()
    run = models.ForeignKey(NightlyRun, on_delete=models.CASCADE, related_name="+")
    window_days = models.PositiveIntegerField(help_text=_("The headline window."))
    currency = models.CharField(max_length=3, help_text=_("The headline columns' currency."))
    revenue_minor = models.BigIntegerField(default=0)
    revenue_growth_pct = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    value_added_minor = models.BigIntegerField(default=0)
    value_added_pct = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    ratings = models.IntegerField(default=0)
    margin_mean = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    refunds = models.IntegerField(default=0)
    refund_minor = models.BigIntegerField(default=0)
    refund_rate_pct = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    co_solutions = models.IntegerField(default=0)
    co_value_share_pct = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    certifications = models.IntegerField(default=0)
    resources = models.IntegerField(default=0)
    tenure_days = models.IntegerField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=Partner.State.choices)
    tier_code = models.CharField(max_length=50)
    figures = models.JSONField(default=dict, blank=True, help_text=_("Every window, with its trend."))

    class Meta:
        ordering = ["-day", "partner"]
        constraints = [models.UniqueConstraint(fields=["partner", "day"], name="scorecard_one_per_day")]
        indexes = [models.Index(fields=["day", "revenue_minor"]), models.Index(fields=["partner", "day"])]

    def __str__(self):
        return f"{self.partner_id} {self.day}"


class Rule(models.Model):
    """An admin's rule turning a sustained headline figure into a proposal: "when `metric` has been
    `comparison` `threshold` on every nightly scorecard of the last `sustained_days`, propose
    `action`". Edited through judging.services.rule_save (validated, audited)."""

    class Action(models.TextChoices):
        WATCH = "watch", _("Put on watch")
        PHASE_OUT = "phase_out", _("Phase out")
        REINSTATE = "reinstate", _("Reinstate")
        TIER_UP = "tier_up", _("Tier up")
        TIER_DOWN = "tier_down", _("Tier down")

    class Metric(models.TextChoices):
        REVENUE_GROWTH = "revenue_growth_pct", _("Revenue growth (%)")
        VALUE_ADDED = "value_added_pct", _("Value added vs baseline (%)")
        MARGIN = "margin_mean", _("Experience margin")
        REFUND_RATE = "refund_rate_pct", _("Refund rate (%)")
        CO_SHARE = "co_value_share_pct", _("Co-created share (%)")

    class Comparison(models.TextChoices):
        BELOW = "below", _("below")
        ABOVE = "above", _("above")

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    action = models.CharField(max_length=10, choices=Action.choices)
    metric = models.CharField(max_length=20, choices=Metric.choices)
    comparison = models.CharField(max_length=5, choices=Comparison.choices)
    threshold = models.DecimalField(max_digits=12, decimal_places=2)
    sustained_days = models.PositiveIntegerField(
        help_text=_("Nightly scorecards in a row the figure must hold.")
    )
    min_ratings = models.PositiveIntegerField(
        default=0, help_text=_("A scorecard with fewer ratings in its window does not count.")
    )
    grace_days = models.PositiveIntegerField(
        default=0, help_text=_("Tier rules: days after a tier change before another is proposed.")
    )
    appeal_days = models.PositiveIntegerField(default=14, help_text=_("Days the partner may appeal."))
    active = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name


class Proposal(models.Model):
    """A change the night proposes for a partner, with its evidence, for an admin to decide.

    `cause` is unique: the rule, the partner, the change and the state (or tier) episode it was
    seen in, so re-running a night, or the next nights of the same episode, add nothing. An open
    proposal is superseded when the partner's state or tier moves on before it is decided."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        DISMISSED = "dismissed", _("Dismissed")
        SUPERSEDED = "superseded", _("Superseded")
        APPEALED = "appealed", _("Appealed: to decide again")
        OVERTURNED = "overturned", _("Overturned on appeal")

    class Kind(models.TextChoices):
        STATE = "state", _("State")
        TIER = "tier", _("Tier")

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="judgments")
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="proposals")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    action = models.CharField(max_length=10, choices=Rule.Action.choices)
    from_value = models.CharField(max_length=50)
    to_value = models.CharField(max_length=50)
    cause = models.CharField(max_length=200, unique=True)
    day = models.DateField(help_text=_("The night that made it."))
    evidence = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    appeal_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "-id"]
        indexes = [models.Index(fields=["status", "day"])]

    def __str__(self):
        return f"{self.partner_id}: {self.action} ({self.status})"


class Notice(models.Model):
    """A message to a partner in the app (also mailed): a decision about it, with the evidence."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="notices")
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="notices")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.subject


class Appeal(models.Model):
    """A partner's appeal against an accepted proposal; it reopens the decision for an admin."""

    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="appeal")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, blank=True)  # "upheld" or "overturned"
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"appeal of {self.proposal_id}"


class MatrixPoint(models.Model):
    """One ME on the evaluation matrix on one date (judging/matrix.py defines the axes)."""

    class Quadrant(models.TextChoices):
        LEADING = "leading", _("Enterprise and user value")
        MARKET = "market", _("Enterprise value only")
        USER = "user", _("User value only")
        LAGGING = "lagging", _("Neither")
        UNPLACED = "unplaced", _("No data")

    me = models.ForeignKey("orgs.Microenterprise", on_delete=models.PROTECT, related_name="matrix_points")
    day = models.DateField()
    run = models.ForeignKey(NightlyRun, on_delete=models.CASCADE, related_name="+")
    x = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    y = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    quadrant = models.CharField(max_length=8, choices=Quadrant.choices)
    previous_quadrant = models.CharField(max_length=8, choices=Quadrant.choices, blank=True)
    figures = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-day", "me"]
        constraints = [models.UniqueConstraint(fields=["me", "day"], name="matrix_point_one_per_day")]
        indexes = [models.Index(fields=["day", "quadrant"])]

    def __str__(self):
        return f"{self.me_id} {self.day} {self.quadrant}"


# --- the Win-Win Value-Added Statement's own inputs (judging/entries.py) ----------------------


class OwnEntry(models.Model):
    """What the statement's own inputs share: a span of days inside one calendar month (so any
    statement period, a month, a quarter or a year, holds it whole or not at all), a note, who
    logged it, when and how. Logged through judging.entries (validated, audited)."""

    starts_on = models.DateField()
    ends_on = models.DateField()
    note = models.CharField(max_length=255, blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    logged_at = models.DateTimeField()
    source = models.CharField(max_length=4)

    class Meta:
        abstract = True
        ordering = ["-starts_on", "-id"]


class CostEntry(OwnEntry):
    """An ME's own cost (see OwnEntry); the amount is in minor units of its currency, never
    converted. A cost is never edited: a mistaken one is reversed by an entry of the negated
    amount naming it in `reverses` (judging.corrections), whose note is the reason."""

    class Category(models.TextChoices):
        MATERIALS = "materials", _("Materials")
        LABOUR = "labour", _("Labour")
        SERVICES = "services", _("Services")
        OVERHEAD = "overhead", _("Overhead")
        OTHER = "other", _("Other")

    me = models.ForeignKey("orgs.Microenterprise", on_delete=models.PROTECT, related_name="cost_entries")
    category = models.CharField(max_length=10, choices=Category.choices)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )

    class Meta(OwnEntry.Meta):
        constraints = [
            # a cost is not negative; only a reversal is, and it never adds
            models.CheckConstraint(
                condition=(models.Q(reverses__isnull=True) & models.Q(amount_minor__gte=0))
                | (models.Q(reverses__isnull=False) & models.Q(amount_minor__lte=0)),
                name="cost_entry_sign_by_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="cost_entry_span"
            ),
        ]
        indexes = [models.Index(fields=["me", "starts_on"])]

    def __str__(self):
        return f"{self.me_id} {self.starts_on} {self.category} {self.amount_minor} {self.currency}"


class HoursEntry(OwnEntry):
    """Hours an ME worked (see OwnEntry), for the Amoeba view."""

    me = models.ForeignKey("orgs.Microenterprise", on_delete=models.PROTECT, related_name="hours_entries")
    hours = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta(OwnEntry.Meta):
        constraints = [
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="hours_entry_positive"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="hours_entry_span"
            ),
        ]
        indexes = [models.Index(fields=["me", "starts_on"])]

    def __str__(self):
        return f"{self.me_id} {self.starts_on} {self.hours} h"


class EntryImport(models.Model):
    """A CSV of costs or hours once imported, by the digest of its rows: the same rows a second
    time are refused (judging.entries.csv_import), so a re-import never doubles them."""

    kind = models.CharField(max_length=5)  # "costs" or "hours"
    digest = models.CharField(max_length=64)  # sha256 of the file's rows, as parsed
    rows = models.PositiveIntegerField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "digest"], name="entry_import_once")]

    def __str__(self):
        return f"{self.kind} {self.digest[:12]}"


class MatrixBands(models.Model):
    """The ME matrix's quadrant bands (% of target at which an axis is "high"), as a version an
    admin saves (judging.services.matrix_bands_save: validated, audited). A night uses the
    version in force on its date (the latest `effective_from` on or before it); a saved version
    takes effect the next night. Without any version the settings JUDGING_MATRIX_X_BAND /
    _Y_BAND apply."""

    effective_from = models.DateField(unique=True)
    x_band = models.DecimalField(max_digits=7, decimal_places=2)
    y_band = models.DecimalField(max_digits=7, decimal_places=2)
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name_plural = _("matrix bands")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(x_band__gte=0, x_band__lte=1000, y_band__gte=0, y_band__lte=1000),
                name="matrix_bands_range",
            ),
        ]

    def __str__(self):
        return f"from {self.effective_from}: x {self.x_band}%, y {self.y_band}%"
