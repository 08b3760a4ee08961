from django.urls import path

from judging import statement_views, views

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

urlpatterns += [
    path("statements/", statement_views.statement_home, name="statement-home"),
    path("statements/<slug:scope>/<slug:code>/", statement_views.statement_page, name="statement"),
    path(
        "statements/<slug:scope>/<slug:code>/lines/", statement_views.statement_lines, name="statement-lines"
    ),
    path(
        "statements/<slug:scope>/<slug:code>/entries/",
        statement_views.statement_entries,
        name="statement-entries",
    ),
    path("entries/import/", statement_views.entries_import, name="entries-import"),
    path("entries/<slug:kind>/new/", statement_views.entry_log, name="entry-log"),
    path("entries/costs/<int:pk>/reverse/", statement_views.cost_entry_reverse, name="cost-entry-reverse"),
    path("matrix/bands/", statement_views.bands_edit, name="matrix-bands"),
]
