from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BidsConfig(AppConfig):
    name = "bids"
    verbose_name = _("EMC orders put out for bids")

    def ready(self):
        from bids import receivers
        from ledger.signals import contract_approving

        contract_approving.connect(receivers.on_contract_approving, dispatch_uid="bids.on_contract_approving")
