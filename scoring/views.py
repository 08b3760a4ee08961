from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from scoring.models import NightlyRun


@login_required
def run_list(request):
    return render(request, "scoring/run_list.html", {"runs": NightlyRun.objects.all()[:60]})
