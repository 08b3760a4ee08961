"""Web pages of the organization."""

from orgs.views import audit, emcs, mes, network, partners

__all__ = ["audit", "emcs", "mes", "network", "partners"]
