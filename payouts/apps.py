from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayoutsConfig(AppConfig):
    name = "payouts"
    verbose_name = _("Incentive payouts")

    def ready(self):
        from payouts import receivers
        from scoring.signals import night_scored

        # the nightly run is done and committed: recompute the open periods' drafts
        night_scored.connect(receivers.night_scored_receive, dispatch_uid="payouts.night_scored")

        from orgs.audit_display import audit_labels_register
        from payouts import audit_labels

        audit_labels_register(
            actions=audit_labels.ACTIONS,
            fields=audit_labels.FIELDS,
            values=audit_labels.VALUES,
            money_fields=audit_labels.MONEY_FIELDS,
        )
