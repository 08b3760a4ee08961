from django.urls import include, path
from rest_framework.routers import SimpleRouter

from judging import api

router = SimpleRouter()
router.register("judging/scorecards", api.ScorecardViewSet, basename="api-judging-scorecard")
router.register("judging/proposals", api.ProposalViewSet, basename="api-judging-proposal")
router.register("judging/cost-entries", api.CostEntryViewSet, basename="api-judging-cost-entry")
router.register("judging/hours-entries", api.HoursEntryViewSet, basename="api-judging-hours-entry")
router.register("judging/rules", api.RuleViewSet, basename="api-judging-rule")

urlpatterns = [
    path("judging/matrix/", api.MatrixView.as_view(), name="api-judging-matrix"),
    path(
        "judging/statements/<slug:scope>/<slug:code>/",
        api.StatementView.as_view(),
        name="api-judging-statement",
    ),
    path("", include(router.urls)),
]
