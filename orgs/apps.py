from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "orgs"
    verbose_name = _("Organization")

    def ready(self):
        from axes.signals import user_locked_out

        user_locked_out.connect(_audit_lockout, dispatch_uid="orgs.audit_lockout")


def _audit_lockout(sender, request, username, ip_address, **kwargs):
    """Audit the failure that reached the limit (later tries while locked out are not new lockouts)."""
    from django.conf import settings

    from orgs.services.logins import login_lockout_record

    if getattr(request, "axes_failures_since_start", None) != settings.AXES_FAILURE_LIMIT:
        return
    login_lockout_record(username=username, ip_address=ip_address)
