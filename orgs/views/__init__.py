"""Web pages of the organization."""

from orgs.views import account, applications, audit, build, emcs, mes, network, partners

__all__ = ["account", "applications", "audit", "build", "emcs", "mes", "network", "partners"]
