"""Judging in the Django admin: read-only. Rules are edited, and proposals decided, on the
judging pages (/judging/rules/, /judging/proposals/), through the services that validate and
audit; the admin offers no second way around them."""

from django.contrib import admin

from judging.models import Appeal, MatrixPoint, Notice, Proposal, Rule, Scorecard


class ReadOnly(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.has_perm("judging.view_proposals")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("judging.view_proposals")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Rule)
class RuleAdmin(ReadOnly):
    list_display = ["code", "name", "action", "metric", "comparison", "threshold", "sustained_days", "active"]


@admin.register(Proposal)
class ProposalAdmin(ReadOnly):
    list_display = ["day", "partner", "action", "from_value", "to_value", "status"]
    list_filter = ["status", "action"]
    list_select_related = ["partner"]


@admin.register(Appeal)
class AppealAdmin(ReadOnly):
    list_display = ["proposal", "by", "created_at", "outcome"]


@admin.register(Notice)
class NoticeAdmin(ReadOnly):
    list_display = ["created_at", "partner", "subject"]
    list_select_related = ["partner"]


@admin.register(Scorecard)
class ScorecardAdmin(ReadOnly):
    list_display = ["day", "partner", "revenue_minor", "currency", "margin_mean", "refund_rate_pct"]
    list_select_related = ["partner"]
    date_hierarchy = "day"


@admin.register(MatrixPoint)
class MatrixPointAdmin(ReadOnly):
    list_display = ["day", "me", "x", "y", "quadrant", "previous_quadrant"]
    list_select_related = ["me"]
