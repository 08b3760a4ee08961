from django.urls import path

from scoring import views

app_name = "scoring"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("metrics/<slug:code>/", views.metric_detail, name="metric-detail"),
    path("runs/", views.run_list, name="run-list"),
    path("runs/start/", views.run_start, name="run-start"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
]
