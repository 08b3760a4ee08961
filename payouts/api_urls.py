from django.urls import include, path
from rest_framework.routers import SimpleRouter

from payouts import api

router = SimpleRouter()
router.register("payouts/reports", api.PayoutReportViewSet, basename="api-payout-report")
router.register("payouts/inquiries", api.InquiryViewSet, basename="api-payout-inquiry")

urlpatterns = [
    path("payouts/reports/<int:pk>/lines/", api.PayoutLineList.as_view(), name="api-payout-lines"),
    path(
        "payouts/lines/<int:pk>/inquiries/",
        api.LineInquiryCreate.as_view(),
        name="api-payout-inquiry-raise",
    ),
    path("payouts/statement/<int:pk>.pdf", api.StatementPDF.as_view(), name="api-payout-statement-pdf"),
    path(
        "payouts/contracts/<int:pk>/tier-gates/",
        api.ContractTierGates.as_view(),
        name="api-payout-tier-gates",
    ),
    path("payouts/statement/", api.StatementList.as_view(), name="api-payout-statement"),
    path("", include(router.urls)),
]
