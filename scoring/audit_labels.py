"""The audit trail's names for the scoring app's actions and fields (orgs.audit_display)."""

from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "scoring.run_start": _("Scoring run started"),
    "scoring.run_resume": _("Scoring run resumed"),
    "scoring.index_weights": _("Index weights set"),
    "scoring.metric_target": _("Metric target set"),
}

FIELDS = {
    "run_date": _("Run date"),
    "target": _("Target"),
}
