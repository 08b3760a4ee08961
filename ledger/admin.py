"""Admin: the ledger is read-only here. Who may look is decided by orgs/rules.py
(`ledger.view_all`: platform admins, finance, auditors), as in the UI and the API. Postings
change only through services (refunds, reversals); contracts are written through the service
or the API (which validate the whole terms) and approved or withdrawn here by admin actions."""

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
    LedgerSeal,
    Leg,
    PurposeIndicator,
    Transaction,
    UserSignal,
    ValueEvent,
    ValueEventPartner,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Look, never touch: postings change only through services (reversals, refunds)."""

    view_rule = "ledger.view_all"

    def has_module_permission(self, request):
        return request.user.has_perm(self.view_rule)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(self.view_rule)

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


class TermsInline(ReadOnlyInline):
    """Contract terms are shown, never edited here: the service validates them as a whole."""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("ledger.view_all")


class TierInline(TermsInline):
    model = ContractTier


class PartnerShareInline(TermsInline):
    model = ContractPartnerShare


class NodeShareInline(TermsInline):
    model = ContractNodeShare


class GoalInline(TermsInline):
    model = ContractGoal


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    """Terms are read-only here; approve and withdraw go through the service (checked, audited)."""

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
    inlines = [TierInline, PartnerShareInline, NodeShareInline, GoalInline]
    actions = ["approve_selected", "withdraw_selected"]

    def get_actions(self, request):
        # the admin hides actions from users without change permission; ask the rule instead
        if not request.user.has_perm("ledger.approve_contract"):
            return {}
        return {
            name: (getattr(type(self), name), name, getattr(type(self), name).short_description)
            for name in self.actions
        }

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


@admin.register(PurposeIndicator)
class PurposeIndicatorAdmin(ReadOnlyAdmin):
    list_display = ["on", "emc", "me", "kind", "quantity", "unit", "source", "logged_at"]
    list_filter = ["kind", "source"]
    search_fields = ["emc__code", "me__code", "note"]


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


@admin.register(LedgerSeal)
class LedgerSealAdmin(ReadOnlyAdmin):
    """The hash chain verify_ledger writes: what each clean check sealed (ledger.verification)."""

    list_display = [
        "number",
        "sealed_at",
        "full",
        "transactions",
        "first_transaction_id",
        "last_transaction_id",
        "chain_hash",
    ]
    list_filter = ["full"]
