from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _protect_after_migrate(sender, using, verbosity=1, **kwargs):
    from ledger import append_only

    append_only.protect(using=using, verbosity=verbosity)


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = _("Value-sharing ledger")

    def ready(self):
        # after every migrate: guards and grants of the append-only tables (ledger.append_only)
        post_migrate.connect(_protect_after_migrate, sender=self, dispatch_uid="ledger.append_only.protect")

        from ledger import audit_labels
        from ledger.ui_selectors import money_text
        from orgs.audit_display import audit_labels_register

        audit_labels_register(
            actions=audit_labels.ACTIONS,
            fields=audit_labels.FIELDS,
            money_fields=audit_labels.MONEY_FIELDS,
            money_format=money_text,
        )
