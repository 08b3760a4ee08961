"""The organization as a graph: EMCs, MEs and partners drawn with Cytoscape."""

from django.http import JsonResponse
from django.shortcuts import render

from config.web import rule_required
from orgs import selectors
from orgs.models import EMC, Scenario


@rule_required("orgs.view")
def network(request):
    return render(
        request,
        "orgs/network.html",
        {
            "scenarios": Scenario.objects.values_list("code", "name"),
            "emcs": EMC.objects.filter(status=EMC.Status.ACTIVE).values_list("code", "name"),
            "limit": selectors.NETWORK_MAX_EMCS,
        },
    )


@rule_required("orgs.view")
def network_data(request):
    graph = selectors.network_graph(
        emc_codes=[c for c in request.GET.getlist("emc") if c] or None,
        scenario_code=request.GET.get("scenario") or None,
        include_ended=request.GET.get("include_ended") in ("1", "true", "on"),
    )
    return JsonResponse(graph)
