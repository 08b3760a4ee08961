"""API shapes of judging: scorecards (money as decimal text with its currency), proposals and
the decision bodies (read through config.fields, the one parsing rule per kind of value)."""

from rest_framework import serializers

from config import fields
from judging.models import CostEntry, HoursEntry, Proposal, Scorecard
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
        ]


class JudgingDecisionIn(serializers.Serializer):
    reason = fields.TextField(max_length=2000, multiline=True, required=False, allow_blank=True, default="")
    effective_on = fields.DateField(required=False, allow_null=True, default=None)


class CostEntryOut(serializers.ModelSerializer):
    me = serializers.CharField(source="me.code")
    amount = serializers.SerializerMethodField()
    logged_by = serializers.CharField(source="logged_by.username", default=None)

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
