from django.urls import include, path
from rest_framework.routers import DefaultRouter

from orgs import api
from orgs.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("mes", views.MEViewSet, basename="api-me")
router.register("emcs", views.EMCViewSet, basename="api-emc")
router.register("partners", views.PartnerViewSet, basename="api-partner")
router.register("proposals", views.ProposalViewSet, basename="api-proposal")
router.register("resource-uses", views.ResourceUseViewSet, basename="api-resource-use")
router.register("scenarios", views.ScenarioViewSet, basename="api-scenario")
router.register("categories", views.CategoryViewSet, basename="api-category")
router.register("solutions", views.SolutionViewSet, basename="api-solution")
router.register("industries", views.IndustryViewSet, basename="api-industry")
router.register("audit", views.AuditViewSet, basename="api-audit")
router.register("network", views.NetworkViewSet, basename="api-network")

urlpatterns = [
    path("me/", api.WhoAmIView.as_view(), name="api-whoami"),
    path("", include(router.urls)),
]
