from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BidsConfig(AppConfig):
    name = "bids"
    verbose_name = _("EMC orders put out for bids")

    def ready(self):
        from bids import audit_labels, receivers
        from ledger.signals import contract_approving
        from orgs.audit_display import audit_labels_register

        contract_approving.connect(receivers.on_contract_approving, dispatch_uid="bids.on_contract_approving")
        audit_labels_register(
            actions=audit_labels.ACTIONS, fields=audit_labels.FIELDS, values=audit_labels.VALUES
        )
