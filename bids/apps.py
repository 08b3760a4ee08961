from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BidsConfig(AppConfig):
    name = "bids"
    verbose_name = _("EMC orders put out for bids")

    def ready(self):
        from bids import audit_labels
        from orgs.audit_display import audit_labels_register

        audit_labels_register(
            actions=audit_labels.ACTIONS, fields=audit_labels.FIELDS, values=audit_labels.VALUES
        )
