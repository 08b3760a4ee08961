"""Web pages of the organization."""

from orgs.views import audit, emcs, mes, network, partners
from orgs.views.dashboard import dashboard

__all__ = ["audit", "dashboard", "emcs", "mes", "network", "partners"]
