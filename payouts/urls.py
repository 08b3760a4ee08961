from django.urls import path

from payouts import views

app_name = "payouts"
urlpatterns = [
    path("", views.home, name="home"),
    path("reports/", views.report_list, name="report-list"),
    path("reports/<int:pk>/", views.report_detail, name="report-detail"),
    path("reports/<int:pk>/export.csv", views.report_export, name="report-export"),
    path("reports/<int:pk>/reconcile/", views.report_reconcile, name="report-reconcile"),
    path("reports/<int:pk>/<slug:action>/", views.report_action, name="report-action"),
    path("statement/", views.statement, name="statement"),
]
