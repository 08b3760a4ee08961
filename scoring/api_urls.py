from django.urls import include, path
from rest_framework.routers import SimpleRouter

from scoring import api

router = SimpleRouter()
router.register("scoring/snapshots", api.SnapshotViewSet, basename="api-scoring-snapshot")
router.register("scoring/runs", api.RunViewSet, basename="api-scoring-run")

urlpatterns = [
    path("scoring/metrics/", api.MetricListView.as_view(), name="api-scoring-metrics"),
    path("scoring/backfills/", api.BackfillView.as_view(), name="api-scoring-backfill"),
    path("scoring/index/", api.IndexView.as_view(), name="api-scoring-index"),
    path("scoring/weights/", api.WeightsView.as_view(), name="api-scoring-weights"),
    path("scoring/targets/", api.TargetView.as_view(), name="api-scoring-targets"),
    path("", include(router.urls)),
]
