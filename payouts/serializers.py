from rest_framework import serializers

from config.fields import IntegerField, MinorUnitsField, TextField
from ledger.money import format_minor
from payouts.models import PayoutApproval, PayoutInquiry, PayoutLine, PayoutReport


class PayoutApprovalSerializer(serializers.ModelSerializer):
    approved_by = serializers.CharField(source="approved_by.get_username", read_only=True)

    class Meta:
        model = PayoutApproval
        fields = ["approved_by", "approved_at"]


class PayoutReportSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="period.kind", read_only=True)
    start = serializers.DateField(source="period.start", read_only=True)
    end = serializers.DateField(source="period.end", read_only=True)
    currency = serializers.CharField(source="period.currency", read_only=True)
    approvals = PayoutApprovalSerializer(many=True, read_only=True)

    class Meta:
        model = PayoutReport
        fields = [
            "id",
            "kind",
            "start",
            "end",
            "currency",
            "status",
            "computed_for",
            "computed_at",
            "computations",
            "submitted_at",
            "locked_at",
            "payables_transaction",
            "approvals",
        ]


class PayoutLineSerializer(serializers.ModelSerializer):
    """A line; `payable` and `value` in major units of `currency` (as text), `*_minor` exact."""

    payable = serializers.SerializerMethodField()
    value = serializers.SerializerMethodField()

    class Meta:
        model = PayoutLine
        fields = [
            "id",
            "key",
            "kind",
            "emc",
            "me",
            "user",
            "partner",
            "currency",
            "events",
            "value_minor",
            "value",
            "accrued_minor",
            "capped_minor",
            "adjustment_minor",
            "held_back_minor",
            "release_on",
            "released_minor",
            "carried_in_minor",
            "carried_out_minor",
            "coinvest_minor",
            "coinvest_returned_minor",
            "coinvest_forfeited_minor",
            "payable_minor",
            "payable",
            "previous_payable_minor",
            "contract_versions",
            "tier",
            "rate_pct",
            "explanation",
        ]

    def get_payable(self, line) -> str:
        return format_minor(line.payable_minor, line.currency)

    def get_value(self, line) -> str:
        return format_minor(line.value_minor, line.currency)


class ReconciliationSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    currency = serializers.CharField()
    report_minor = serializers.IntegerField()
    ledger_minor = serializers.IntegerField()
    differences = serializers.ListField(child=serializers.DictField())
    missing_emcs = serializers.ListField(child=serializers.IntegerField())


class WhatIfTierSerializer(serializers.Serializer):
    threshold_pct = serializers.DecimalField(max_digits=7, decimal_places=2)
    rate_pct = serializers.DecimalField(max_digits=7, decimal_places=4)


class WhatIfSerializer(serializers.Serializer):
    """Other payout terms for one EMC of the report: a draft contract version, or changed rates."""

    emc = IntegerField(min_value=1)
    contract = IntegerField(min_value=1, required=False)
    base_rate_pct = serializers.DecimalField(max_digits=7, decimal_places=4, required=False)
    target_minor = MinorUnitsField(required=False)
    floor_minor = MinorUnitsField(required=False)
    cap_minor = MinorUnitsField(required=False, allow_null=True)
    tiers = WhatIfTierSerializer(many=True, required=False)


class WhatIfResultSerializer(serializers.Serializer):
    emc = serializers.IntegerField()
    currency = serializers.CharField()
    emc_value_minor = serializers.IntegerField()
    terms = serializers.DictField()
    mes = serializers.ListField(child=serializers.DictField())
    members = serializers.ListField(child=serializers.DictField())


class InquiryMessageSerializer(serializers.Serializer):
    author = serializers.CharField(source="author.get_username")
    at = serializers.DateTimeField()
    text = serializers.CharField()


class PayoutInquirySerializer(serializers.ModelSerializer):
    raised_by = serializers.CharField(source="raised_by.get_username", read_only=True)
    messages = InquiryMessageSerializer(many=True, read_only=True)

    class Meta:
        model = PayoutInquiry
        fields = [
            "id",
            "line",
            "report",
            "raised_by",
            "raised_at",
            "status",
            "resolved_at",
            "resolution",
            "messages",
        ]


class InquiryTextSerializer(serializers.Serializer):
    text = TextField(max_length=2000, multiline=True)


class InquiryResolveSerializer(serializers.Serializer):
    reason = TextField(max_length=2000, multiline=True)


class TierGateSerializer(serializers.Serializer):
    threshold_pct = serializers.DecimalField(max_digits=7, decimal_places=2)
    metric = serializers.CharField(max_length=40)


class TierGatesSerializer(serializers.Serializer):
    gates = TierGateSerializer(many=True)
