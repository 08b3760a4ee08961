from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JudgingConfig(AppConfig):
    name = "judging"
    verbose_name = _("Partners and MEs judged by users")

    def ready(self):
        from judging import receivers
        from scoring.signals import night_scored

        night_scored.connect(receivers.on_night_scored, dispatch_uid="judging.on_night_scored")

        from judging.evidence import proposal_evidence_display
        from orgs.evidence import evidence_renderer_register

        evidence_renderer_register(proposal_evidence_display)

        from judging import audit_labels
        from orgs.audit_display import audit_labels_register

        audit_labels_register(
            actions=audit_labels.ACTIONS, fields=audit_labels.FIELDS, money_fields=audit_labels.MONEY_FIELDS
        )
