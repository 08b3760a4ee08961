from django.urls import include, path
from rest_framework.routers import SimpleRouter

from judging import api

router = SimpleRouter()
router.register("judging/scorecards", api.ScorecardViewSet, basename="api-judging-scorecard")
router.register("judging/proposals", api.ProposalViewSet, basename="api-judging-proposal")
router.register("judging/rules", api.RuleViewSet, basename="api-judging-rule")

urlpatterns = [
    path("judging/matrix/", api.MatrixView.as_view(), name="api-judging-matrix"),
    path("", include(router.urls)),
]
