from django.urls import include, path
from rest_framework.routers import SimpleRouter

from ledger import api

router = SimpleRouter()
router.register("value-events", api.ValueEventViewSet, basename="api-value-event")
router.register("signals", api.UserSignalViewSet, basename="api-signal")
router.register("purpose-indicators", api.PurposeIndicatorViewSet, basename="api-purpose-indicator")
router.register("contracts", api.ContractViewSet, basename="api-contract")
router.register("accounts", api.AccountViewSet, basename="api-account")
router.register("transactions", api.TransactionViewSet, basename="api-transaction")
router.register("imports", api.ImportViewSet, basename="api-import")

urlpatterns = [
    # before the router: "batch" is not a value-event id
    path("value-events/batch/", api.ValueEventBatchView.as_view(), name="api-value-event-batch"),
    path("refunds/", api.RefundView.as_view(), name="api-refund"),
    path("balances/", api.BalanceView.as_view(), name="api-balance"),
    path("", include(router.urls)),
]
