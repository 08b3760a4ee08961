"""REST API for the organization (routes in orgs/api_urls.py)."""

from orgs.api.whoami import WhoAmIView

__all__ = ["WhoAmIView"]
