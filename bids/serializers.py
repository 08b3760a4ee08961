"""API shapes of the orders for bids: money as decimal text with its currency, shares as
decimal text, bidders and EMCs by code. The services validate; these only parse."""

from rest_framework import serializers

from bids.models import Bid, Order
from config import fields
from ledger.money import format_minor
from orgs.models import EMC, Microenterprise, Partner, Scenario


class BidOut(serializers.ModelSerializer):
    me = serializers.CharField(source="me.code", default=None)
    partner = serializers.CharField(source="partner.code", default=None)
    committed_amount = serializers.SerializerMethodField()
    record = serializers.SerializerMethodField()

    class Meta:
        model = Bid
        fields = [
            "id",
            "order",
            "me",
            "partner",
            "commitment",
            "committed_amount",
            "asked_share_pct",
            "status",
            "placed_at",
            "record",
        ]

    def get_committed_amount(self, obj) -> str | None:
        return format_minor(obj.target_minor, obj.order.currency) if obj.target_minor else None

    def get_record(self, obj) -> dict | None:
        """The bidder's earlier rated deliveries: {"mean": stars, "count": n}, or null."""
        return getattr(obj, "record", None)


class OrderOut(serializers.ModelSerializer):
    emc = serializers.CharField(source="emc.code")
    scenario = serializers.CharField(source="scenario.code")
    target_amount = serializers.SerializerMethodField()
    contract_version = serializers.IntegerField(source="contract.version", default=None)
    bid_count = serializers.IntegerField(default=None)

    class Meta:
        model = Order
        fields = [
            "id",
            "emc",
            "scenario",
            "title",
            "target_amount",
            "currency",
            "goal",
            "obligations",
            "share_pct",
            "deadline",
            "period_start",
            "period_end",
            "status",
            "bid_count",
            "contract_version",
            "stars",
            "rating_note",
            "created_at",
        ]

    def get_target_amount(self, obj) -> str | None:
        return format_minor(obj.target_minor, obj.currency) if obj.target_minor else None


class OrderIn(serializers.Serializer):
    emc = serializers.SlugRelatedField(slug_field="code", queryset=EMC.objects.all())
    scenario = serializers.SlugRelatedField(slug_field="code", queryset=Scenario.objects.all())
    title = serializers.CharField(allow_blank=True, max_length=200)
    obligations = serializers.CharField(allow_blank=True)
    share_pct = serializers.CharField()
    deadline = fields.DateField()
    period_start = fields.DateField()
    period_end = fields.DateField()
    target_amount = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    currency = serializers.CharField(required=False, allow_blank=True, default="")
    goal = serializers.CharField(required=False, allow_blank=True, default="")


class BidIn(serializers.Serializer):
    me = serializers.SlugRelatedField(
        slug_field="code", queryset=Microenterprise.objects.all(), required=False
    )
    partner = serializers.SlugRelatedField(slug_field="code", queryset=Partner.objects.all(), required=False)
    asked_share_pct = serializers.CharField()
    commitment = serializers.CharField(required=False, allow_blank=True, default="")
    target_amount = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class AwardIn(serializers.Serializer):
    bid = serializers.IntegerField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RateIn(serializers.Serializer):
    stars = serializers.IntegerField()
    note = serializers.CharField(allow_blank=True)


class CancelIn(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)
