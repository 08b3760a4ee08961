from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import views

api_patterns = [
    path("", include("orgs.api_urls")),
    path("", include("ledger.api_urls")),
    path("", include("scoring.api_urls")),
    path("", include("payouts.api_urls")),
    path("", include("judging.api_urls")),
    path("", include("bids.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # the split view serves Swagger UI's init script as a file (?script), not inline
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("", include("portal.urls")),
    path("", include("orgs.urls")),
    path("ledger/", include("ledger.urls")),
    path("scoring/", include("scoring.urls")),
    path("payouts/", include("payouts.urls")),
    path("judging/", include("judging.urls")),
    path("orders/", include("bids.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
