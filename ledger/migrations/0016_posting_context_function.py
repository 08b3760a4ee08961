"""On PostgreSQL: `ledger_posting_context(...)`, the lookups a posting reads, as one function
(ledger/sql/posting_context.v1.sql).

The fourteen lookups of `ledger.context.posting_context_load` went as one multi-statement
string: one round trip, but parsed and planned again on every call, which at haier scale was
most of a single event's lookup time. A PL/pgSQL function keeps its statements' plans for the
session. Backwards the function goes (the code before it sends the statements themselves).
"""

from django.db import migrations

from ledger.migrations._postgres import postgres_sql, sql_file

FORWARD = sql_file("posting_context", 1)

BACKWARD = (
    "DROP FUNCTION IF EXISTS ledger_posting_context("
    "bigint[], bigint[], bigint[], bigint[], bigint[], bigint[], text, date, text[]);"
)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0015_leg_effective_on_index")]

    operations = [postgres_sql(FORWARD, BACKWARD)]
