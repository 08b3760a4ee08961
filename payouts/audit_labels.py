"""The audit trail's names for the payouts app's actions and fields (orgs.audit_display)."""

from django.utils.translation import gettext_lazy as _

from payouts.models import PayoutReport

ACTIONS = {
    "payouts.report_compute": _("Payout report computed"),
    "payouts.report_submit": _("Payout report submitted"),
    "payouts.report_approve": _("Payout report approved"),
    "payouts.report_return": _("Payout report returned to draft"),
    "payouts.report_lock": _("Payout report locked"),
    "payouts.inquiry_raise": _("Inquiry raised"),
    "payouts.inquiry_reply": _("Inquiry answered"),
    "payouts.inquiry_resolve": _("Inquiry resolved"),
    "payouts.coinvestment_record": _("Co-investment recorded"),
    "payouts.tier_gates_set": _("Tier gates set"),
}

FIELDS = {
    "lines": _("Lines"),
    "line": _("Line"),
    "payables_transaction": _("Payables transaction"),
    "total_minor": _("Total"),
    "amount_minor": _("Amount"),
    "approvals_withdrawn": _("Approvals withdrawn"),
    "gates": _("Tier gates"),
}

MONEY_FIELDS = {"total_minor", "amount_minor"}

VALUES = {"status": dict(PayoutReport.Status.choices)}
