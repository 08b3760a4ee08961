"""Web pages of the organization."""

from orgs.views import applications, audit, build, emcs, mes, network, partners

__all__ = ["applications", "audit", "build", "emcs", "mes", "network", "partners"]
