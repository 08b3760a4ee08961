"""The audit trail's names for the ledger's actions and fields (orgs.audit_display)."""

from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "ledger.contract_draft": _("Contract version drafted"),
    "ledger.contract_approve": _("Contract version approved"),
    "ledger.contract_withdraw": _("Contract version withdrawn"),
    "ledger.payables_post": _("Payables posted"),
    "ledger.transaction_reverse": _("Transaction reversed"),
    "ledger.purpose_indicator_log": _("Purpose indicator logged"),
    "ledger.seal": _("Ledger sealed"),
    "ledger.import_queued": _("Import queued"),
    "ledger.import_validated": _("Import validated"),
    "ledger.import_posted": _("Import posted"),
    "ledger.import_failed": _("Import failed"),
}

FIELDS = {
    "total": _("Total"),
    "amount_minor": _("Amount"),
    "reversal": _("Reversal"),
    "quantity": _("Quantity"),
    "unit": _("Unit"),
    "on": _("On"),
    "rows": _("Rows"),
    "errors": _("Errors"),
    "transactions": _("Transactions"),
    "first": _("First"),
    "last": _("Last"),
    "chain_hash": _("Chain hash"),
}

MONEY_FIELDS = {"total", "amount_minor"}
