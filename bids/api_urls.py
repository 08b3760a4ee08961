from django.urls import include, path
from rest_framework.routers import SimpleRouter

from bids import api

router = SimpleRouter()
router.register("bids/orders", api.OrderViewSet, basename="api-bids-order")

urlpatterns = [path("", include(router.urls))]
