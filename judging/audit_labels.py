"""The audit trail's names for the judging app's actions and fields (orgs.audit_display)."""

from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "judging.rule_create": _("Judging rule created"),
    "judging.rule_update": _("Judging rule changed"),
    "judging.proposal_accept": _("Proposal accepted"),
    "judging.proposal_dismiss": _("Proposal dismissed"),
    "judging.appeal_file": _("Appeal filed"),
    "judging.appeal_upheld": _("Appeal decided: upheld"),
    "judging.appeal_overturned": _("Appeal decided: overturned"),
    "judging.matrix_bands_save": _("Matrix bands saved"),
    "judging.cost_entry_log": _("Cost entry logged"),
    "judging.hours_entry_log": _("Hours entry logged"),
    "judging.cost_entry_reverse": _("Cost entry reversed"),
}

FIELDS = {
    "me": _("ME"),
    "starts_on": _("Starts on"),
    "ends_on": _("Ends on"),
    "source": _("Source"),
    "category": _("Category"),
    "amount_minor": _("Amount"),
    "hours": _("Hours"),
    "note": _("Note"),
    "action": _("Action"),
    "to": _("To"),
    "metric": _("Metric"),
    "comparison": _("Comparison"),
    "threshold": _("Threshold"),
    "sustained_days": _("Sustained days"),
    "min_ratings": _("Minimum ratings"),
    "grace_days": _("Grace days"),
    "appeal_days": _("Appeal days"),
    "active": _("Active"),
    "x_band": _("Enterprise value band"),
    "y_band": _("User value band"),
}

MONEY_FIELDS = {"amount_minor"}
