from django.urls import path

from payouts import gate_views, views

app_name = "payouts"
urlpatterns = [
    path("", views.home, name="home"),
    path("reports/", views.report_list, name="report-list"),
    path("reports/<int:pk>/", views.report_detail, name="report-detail"),
    path("reports/<int:pk>/export.csv", views.report_export, name="report-export"),
    path("reports/<int:pk>/export.xlsx", views.report_export_xlsx, name="report-export-xlsx"),
    path("reports/<int:pk>/statements/me/<int:me_id>.pdf", views.statement_me_pdf, name="statement-me-pdf"),
    path(
        "reports/<int:pk>/statements/member/<int:user_id>.pdf",
        views.statement_member_pdf,
        name="statement-member-pdf",
    ),
    path("reports/<int:pk>/reconcile/", views.report_reconcile, name="report-reconcile"),
    *(
        path(f"reports/<int:pk>/{action}/", views.report_action, {"action": action}, name=f"report-{action}")
        for action in ("compute", "submit", "approve", "lock", "return")
    ),
    path("statement/", views.statement, name="statement"),
    path("contracts/<int:pk>/tier-gates/", gate_views.contract_tier_gates, name="contract-tier-gates"),
    path("lines/<int:pk>/inquiry/", views.inquiry_raise, name="inquiry-raise"),
    path("inquiries/<int:pk>/", views.inquiry_detail, name="inquiry-detail"),
    path("inquiries/<int:pk>/reply/", views.inquiry_reply, name="inquiry-reply"),
    path("inquiries/<int:pk>/resolve/", views.inquiry_resolve, name="inquiry-resolve"),
]
