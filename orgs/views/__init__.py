"""Web pages of the organization."""

from orgs.views import audit, build, emcs, mes, network, partners

__all__ = ["audit", "build", "emcs", "mes", "network", "partners"]
