"""Partners and MEs judged by users: the nightly partner scorecards (more to come: the rules that
turn sustained poor user value into proposals, the ME matrix).

A `Scorecard` is one partner on one date, computed from the scoring rollups as recorded up to
that night's cut-off (judging/scorecards.py defines every figure). The headline columns are the
figures of the headline window (JUDGING_HEADLINE_WINDOW), in SCORING_CURRENCY, for the
comparison table's filters and sorting; `figures` holds every window with its trend and the
other currencies, never converted.
"""

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
