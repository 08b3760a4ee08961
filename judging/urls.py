from django.urls import path

from judging import views

app_name = "judging"

urlpatterns = [
    path("scorecards/", views.scorecard_list, name="scorecard-list"),
    path("scorecards/export.csv", views.scorecard_export, name="scorecard-export"),
    path("partners/<slug:code>/", views.scorecard_detail, name="scorecard-detail"),
    path("proposals/", views.proposal_queue, name="proposal-queue"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal-detail"),
    path("mine/", views.partner_mine, name="partner-mine"),
    path("matrix/", views.me_matrix, name="me-matrix"),
    path("rules/", views.rule_list, name="rule-list"),
    path("rules/new/", views.rule_edit, name="rule-new"),
    path("rules/<slug:code>/", views.rule_edit, name="rule-edit"),
]
