from django.urls import path

from ledger.views import entry, home, imports, me_ledger, transactions

app_name = "ledger"
urlpatterns = [
    path("", home.home, name="home"),
    path("balances.csv", home.balances_export, name="balances-export"),
    path("log/", entry.log_value, name="log-value"),
    path("log/fields/", entry.log_value_fields, name="log-value-fields"),
    path("log/preview/", entry.log_value_preview, name="log-value-preview"),
    path("signals/new/", entry.log_signal, name="log-signal"),
    path("signals/fields/", entry.log_signal_fields, name="log-signal-fields"),
    path("indicators/new/", entry.log_indicator, name="log-indicator"),
    path("events/<int:pk>/refund/", entry.refund, name="refund"),
    path("me/<slug:code>/", me_ledger.me_ledger, name="me-ledger"),
    path("me/<slug:code>/export.csv", me_ledger.me_ledger_export, name="me-ledger-export"),
    path("transactions/<int:pk>/", transactions.transaction_detail, name="transaction-detail"),
    path("transactions/<int:pk>/reverse/", transactions.transaction_reverse, name="transaction-reverse"),
    path("import/", imports.import_upload, name="import"),
    path("import/<int:pk>/", imports.import_detail, name="import-detail"),
    path("import/<int:pk>/post/", imports.import_post, name="import-post"),
    path("import/<int:pk>/progress/", imports.import_progress, name="import-progress"),
    path("import/<int:pk>/errors.csv", imports.import_errors_csv, name="import-errors"),
    path("import/sample/<slug:kind>.csv", imports.import_sample, name="import-sample"),
]
