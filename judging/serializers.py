"""API shapes of judging: scorecards (money as decimal text with its currency), proposals and
the decision bodies (read through config.fields, the one parsing rule per kind of value)."""

from rest_framework import serializers

from config import fields
from judging.models import Appeal, CostEntry, HoursEntry, Proposal, Rule, Scorecard
from judging.services import RULE_FIELDS
from ledger.money import format_minor


class ScorecardOut(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.code")
    revenue = serializers.SerializerMethodField()
    value_added = serializers.SerializerMethodField()
    refunded = serializers.SerializerMethodField()

    class Meta:
        model = Scorecard
        fields = [
            "partner",
            "day",
            "window_days",
            "currency",
            "revenue",
            "revenue_growth_pct",
            "value_added",
            "value_added_pct",
            "ratings",
            "margin_mean",
            "refunds",
            "refunded",
            "refund_rate_pct",
            "co_solutions",
            "co_value_share_pct",
            "certifications",
            "resources",
            "tenure_days",
            "state",
            "tier_code",
            "figures",
        ]

    def get_revenue(self, obj) -> str:
        return format_minor(obj.revenue_minor, obj.currency)

    def get_value_added(self, obj) -> str:
        return format_minor(obj.value_added_minor, obj.currency)

    def get_refunded(self, obj) -> str:
        return format_minor(obj.refund_minor, obj.currency)


class JudgingProposalOut(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.code")
    rule = serializers.CharField(source="rule.code")
    decided_by = serializers.CharField(source="decided_by.username", default=None)
    appeal = serializers.SerializerMethodField()

    class Meta:
        model = Proposal
        fields = [
            "id",
            "partner",
            "rule",
            "kind",
            "action",
            "from_value",
            "to_value",
            "day",
            "status",
            "evidence",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_reason",
            "appeal_until",
            "appeal",
        ]

    def get_appeal(self, obj) -> dict | None:
        appeal = getattr(obj, "appeal", None)  # none filed: the reverse one-to-one raises AttributeError
        return AppealOut(appeal).data if appeal is not None else None


class JudgingDecisionIn(serializers.Serializer):
    reason = fields.TextField(max_length=2000, multiline=True, required=False, allow_blank=True, default="")
    effective_on = fields.DateField(required=False, allow_null=True, default=None)


class CostEntryOut(serializers.ModelSerializer):
    me = serializers.CharField(source="me.code")
    amount = serializers.SerializerMethodField()
    logged_by = serializers.CharField(source="logged_by.username", default=None)
    reverses = serializers.IntegerField(source="reverses_id", default=None, read_only=True)
    reversed_by = serializers.IntegerField(source="reversed_by.pk", default=None, read_only=True)

    class Meta:
        model = CostEntry
        fields = [
            "id",
            "me",
            "starts_on",
            "ends_on",
            "category",
            "amount",
            "currency",
            "note",
            "logged_by",
            "logged_at",
            "source",
            "reverses",
            "reversed_by",
        ]

    def get_amount(self, obj) -> str:
        return format_minor(obj.amount_minor, obj.currency)


class HoursEntryOut(serializers.ModelSerializer):
    me = serializers.CharField(source="me.code")
    hours = serializers.DecimalField(max_digits=10, decimal_places=2, coerce_to_string=True)
    logged_by = serializers.CharField(source="logged_by.username", default=None)

    class Meta:
        model = HoursEntry
        fields = ["id", "me", "starts_on", "ends_on", "hours", "note", "logged_by", "logged_at", "source"]


class RuleOut(serializers.ModelSerializer):
    threshold = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    updated_by = serializers.CharField(source="updated_by.username", default=None)

    class Meta:
        model = Rule
        fields = ["code", *RULE_FIELDS, "updated_by", "updated_at"]  # the fields rule_save takes


class RuleIn(serializers.Serializer):
    """A rule's fields as JSON; their bounds and the rule as a whole are checked by
    judging.services.rule_check (the same for the rules page), every error by field."""

    code = serializers.SlugField(max_length=50, required=False, help_text="On create only.")
    name = fields.TextField(max_length=200)
    action = serializers.ChoiceField(choices=Rule.Action.choices)
    metric = serializers.ChoiceField(choices=Rule.Metric.choices)
    comparison = serializers.ChoiceField(choices=Rule.Comparison.choices)
    threshold = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Decimal text or number, at most two decimals."
    )
    sustained_days = fields.IntegerField(help_text="Nightly scorecards in a row, 1 to 365.")
    min_ratings = fields.IntegerField(required=False, help_text="0 to 1,000,000 (default 0).")
    grace_days = fields.IntegerField(required=False, help_text="Tier rules only, 0 to 3,650 (default 0).")
    appeal_days = fields.IntegerField(required=False, help_text="1 to 365 (default 14).")
    active = fields.BooleanField(required=False)


class AppealOut(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username")
    decided_by = serializers.CharField(source="decided_by.username", default=None)

    class Meta:
        model = Appeal
        fields = ["text", "by", "created_at", "outcome", "decided_by", "decided_at", "decision_reason"]


class AppealIn(serializers.Serializer):
    text = fields.TextField(max_length=2000, multiline=True)


class AppealDecisionIn(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[("upheld", "upheld"), ("overturned", "overturned")])
    reason = fields.TextField(max_length=2000, multiline=True)


class UtilityTermOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    definition = serializers.CharField()
    value = serializers.CharField(allow_null=True, help_text="Decimal text; null: no data for this term.")


class UtilityOut(serializers.Serializer):
    partner = serializers.CharField()
    day = serializers.DateField()
    currency = serializers.CharField()
    U = serializers.CharField(allow_null=True, help_text="The sum of the terms that have data.")
    missing = serializers.ListField(child=serializers.CharField(), help_text="Terms without data.")
    terms = UtilityTermOut(many=True)
    neighbours = serializers.ListField(
        child=serializers.DictField(),
        allow_null=True,
        help_text="Direct co-creators ({partner, shared_events}); staff only, null for a partner user.",
    )


class CostReverseIn(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=255)
