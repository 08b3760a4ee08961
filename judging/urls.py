from django.urls import path

from judging import views

app_name = "judging"

urlpatterns = [
    path("scorecards/", views.scorecard_list, name="scorecard-list"),
    path("scorecards/export.csv", views.scorecard_export, name="scorecard-export"),
    path("partners/<slug:code>/", views.scorecard_detail, name="scorecard-detail"),
]
