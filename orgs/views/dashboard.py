from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from orgs import selectors


@login_required
def dashboard(request):
    return render(request, "dashboard.html", {"summary": selectors.dashboard_summary(user=request.user)})
