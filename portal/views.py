"""Pages that show several apps at once: the dashboard, each role's work first (the panels of
portal.dashboard.PANELS), then the organization's counts and the ledger's user-paid value."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from portal.dashboard import panels_for


@login_required
def dashboard(request):
    panels = panels_for(request.user)
    return render(
        request,
        "portal/dashboard.html",
        {"panels": panels, "panel": {p["key"]: p["data"] for p in panels}},
    )
