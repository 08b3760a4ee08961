"""The audit trail page: every change in the organization, who, when, what, why."""

from django.shortcuts import render

from config.web import paginate, rule_required
from orgs import selectors
from orgs.filters import AuditFilter


@rule_required("orgs.view_audit")
def audit_list(request):
    filterset = AuditFilter(request.GET, queryset=selectors.audit_list())
    page, query = paginate(request, filterset.qs)
    return render(request, "orgs/audit_list.html", {"filter": filterset, "page": page, "query": query})
