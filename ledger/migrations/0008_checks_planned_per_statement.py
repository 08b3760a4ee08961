"""PostgreSQL: the ledger's checks plan their queries afresh for each statement.

Both checks were quadratic once a small posting had planned them first. PL/pgSQL caches a
query's plan for the session, and a plan made while the transition table held 7 legs (or
while `created_txid = txid_current()` looked like one row) joined with a nested loop over a
materialized scan. Reused for a 160,000-leg import, that loop re-scanned the whole inner side
for every row. Seen with auto_explain:
- a 20,000-row import after 600 single postings spent 5.3 s in `ledger_check_new_legs`;
- after an ANALYZE it spent 39 s in `ledger_transaction_balanced` at commit, against 0.1 s on a
  fresh database.

Now:
- both queries run through EXECUTE, so each is planned when it runs, with the real size of the
  statement's new rows;
- the balance check aggregates `transaction LEFT JOIN leg ON leg.transaction_id = id` directly,
  an equality join that the planner answers with the leg index or a hash, instead of joining
  two derived tables.
The checks and their messages are unchanged: ledger/sql/transaction_balanced.v3.sql and
ledger/sql/leg_checked.v2.sql; backwards, versions 2 and 1 (0004's and 0006's) come back.
"""

from django.db import migrations

from ledger.migrations._postgres import postgres_sql, sql_file

FORWARD = sql_file("transaction_balanced", 3) + sql_file("leg_checked", 2)
BACKWARD = sql_file("transaction_balanced", 2) + sql_file("leg_checked", 1)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_import_batch_in_progress")]

    operations = [postgres_sql(FORWARD, BACKWARD)]
