"""On PostgreSQL: `ledger_posting_write(...)`, the one statement writing a small batch (a logged
event, an API batch), as a function (ledger/sql/posting_write.v1.sql).

Sent as a statement with its values, it was planned again on every call (0.3 ms of a single
event at haier scale); a PL/pgSQL function keeps its plan for the session. The same rows,
triggers and constraints. Backwards the function goes (the code before it sends the statement).
"""

from django.db import migrations

from ledger.migrations._postgres import postgres_sql, sql_file

FORWARD = sql_file("posting_write", 1)

BACKWARD = "DROP FUNCTION IF EXISTS ledger_posting_write(integer, json, json, json, json);"


class Migration(migrations.Migration):
    dependencies = [("ledger", "0016_posting_context_function")]

    operations = [postgres_sql(FORWARD, BACKWARD)]
