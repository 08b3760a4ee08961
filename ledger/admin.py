"""Admin: everything visible; the ledger itself is read-only (transactions and legs cannot be
added, changed or deleted here), contracts are editable only while they are drafts."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from ledger import services
from ledger.models import (
    Account,
    AccountDay,
    Contract,
    ContractGoal,
    ContractNodeShare,
    ContractPartnerShare,
    ContractTier,
    IdempotencyRecord,
    ImportBatch,
    Leg,
    Transaction,
    UserSignal,
    ValueEvent,
    ValueEventPartner,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Look, never touch: postings change only through services (reversals, refunds)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["code", "kind", "currency", "name", "created_at"]
    list_filter = ["kind", "currency"]
    search_fields = ["code", "name"]


class LegInline(ReadOnlyInline):
    model = Leg
    fields = ["account", "currency", "amount_minor", "rule", "contract", "basis"]
    readonly_fields = fields


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "effective_on", "recorded_at", "recorded_by", "contract", "reverses"]
    list_filter = ["kind"]
    date_hierarchy = "effective_on"
    list_select_related = ["recorded_by", "contract__emc", "reverses"]
    inlines = [LegInline]


@admin.register(Leg)
class LegAdmin(ReadOnlyAdmin):
    list_display = ["id", "transaction", "account", "amount_minor", "currency", "effective_on", "rule"]
    list_filter = ["rule", "currency"]
    list_select_related = ["transaction", "account"]
    search_fields = ["account__code"]


@admin.register(AccountDay)
class AccountDayAdmin(ReadOnlyAdmin):
    list_display = ["account", "day", "net_minor", "debit_minor", "credit_minor", "legs"]
    list_select_related = ["account"]
    date_hierarchy = "day"


class DraftOnlyInline(admin.TabularInline):
    extra = 0

    def _draft(self, obj) -> bool:
        return obj is None or obj.status == Contract.Status.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._draft(obj) and super().has_delete_permission(request, obj)


class TierInline(DraftOnlyInline):
    model = ContractTier


class PartnerShareInline(DraftOnlyInline):
    model = ContractPartnerShare
    autocomplete_fields = ["partner"]


class NodeShareInline(DraftOnlyInline):
    model = ContractNodeShare


class GoalInline(DraftOnlyInline):
    model = ContractGoal


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    """Drafts are edited here; approval goes through the service (validated, audited).
    Create new contracts through the API or service so the whole terms are validated at once."""

    list_display = [
        "emc",
        "version",
        "status",
        "effective_from",
        "currency",
        "platform_fee_pct",
        "approved_at",
    ]
    list_filter = ["status", "currency", "period"]
    list_select_related = ["emc"]
    readonly_fields = ["version", "status", "created_by", "created_at", "approved_by", "approved_at"]
    inlines = [TierInline, PartnerShareInline, NodeShareInline, GoalInline]
    actions = ["approve_selected", "withdraw_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != Contract.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Approve selected draft contracts"))
    def approve_selected(self, request, queryset):
        self._each(request, queryset, lambda c: services.contract_approve(actor=request.user, contract=c))

    @admin.action(description=_("Withdraw selected contracts"))
    def withdraw_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda c: services.contract_withdraw(actor=request.user, contract=c, reason="admin action"),
        )

    def _each(self, request, queryset, do):
        for contract in queryset:
            try:
                do(contract)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(
                    request, f"{contract}: {'; '.join(getattr(exc, 'messages', [str(exc)]))}", messages.ERROR
                )


class ValueEventPartnerInline(ReadOnlyInline):
    model = ValueEventPartner


@admin.register(ValueEvent)
class ValueEventAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "me",
        "emc",
        "amount_minor",
        "currency",
        "occurred_at",
        "customized",
        "source",
    ]
    list_filter = ["kind", "source", "customized", "currency"]
    list_select_related = ["me", "emc"]
    search_fields = ["user_ref", "me__code", "emc__code"]
    date_hierarchy = "occurred_on"
    inlines = [ValueEventPartnerInline]


@admin.register(UserSignal)
class UserSignalAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "me", "emc", "user_ref", "rating", "expectation", "occurred_at", "source"]
    list_filter = ["kind", "source"]
    list_select_related = ["me", "emc"]
    date_hierarchy = "occurred_on"


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "filename",
        "rows",
        "status",
        "errors",
        "created_by",
        "created_at",
        "posted_at",
    ]
    list_filter = ["kind", "status"]
    readonly_fields = ["error_report"]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["user", "key", "status_code", "created_at"]
    search_fields = ["key"]
