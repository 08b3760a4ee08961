"""The orders and bids in the Django admin, read-only: every change goes through bids.services."""

from django.contrib import admin

from bids.models import Bid, Order


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(_ReadOnly):
    list_display = ["title", "emc", "status", "share_pct", "deadline", "stars"]
    list_filter = ["status"]
    list_select_related = ["emc"]


@admin.register(Bid)
class BidAdmin(_ReadOnly):
    list_display = ["order", "me", "partner", "asked_share_pct", "status"]
    list_filter = ["status"]
    list_select_related = ["order__emc", "me", "partner"]
