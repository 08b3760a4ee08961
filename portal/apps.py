from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The composing layer: pages that show several apps at once (the dashboard; the scoring and
    payout panels join it). It reads from every app below it; no app imports it."""

    name = "portal"
    verbose_name = _("Portal")
