from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = _("Nightly scoring")

    def ready(self):
        from orgs.audit_display import audit_labels_register
        from scoring import audit_labels

        audit_labels_register(actions=audit_labels.ACTIONS, fields=audit_labels.FIELDS)
