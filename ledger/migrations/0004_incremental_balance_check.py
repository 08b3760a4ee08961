"""PostgreSQL: make the deferred balance check set-based and incremental (PostgreSQL only).

The definitions: ledger/sql/transaction_balanced.v2.sql, ledger/sql/retired/balance_watermark.v1.sql
and ledger/sql/retired/legs_same_db_transaction.v2.sql. (Since 0010 no watermark: any role
could raise it.)

The constraint trigger `ledger_transaction_balanced` stays a DEFERRABLE INITIALLY DEFERRED
CONSTRAINT TRIGGER on each new transaction row, but a 100,000-event import used to run two
aggregate queries per row at commit (~0.3 ms each: about 30 s of the import). Now:

- The first firing checks, in ONE query, every ledger transaction created by this DB
  transaction (created_txid = txid_current(), found through the new index on
  (created_txid, id), so the cost follows this DB transaction's rows, not the table's) with id
  above the watermark
  `ledger.checked_upto` (a transaction-local setting, set_config(..., true), so it vanishes at
  commit/rollback and reverts with a rolled-back savepoint), then raises the watermark to the
  highest id it checked. Later firings with NEW.id <= watermark return at once.
- Nothing inserted after a check can hide below the watermark:
  * `ledger_transaction_watermark` (statement-level AFTER INSERT on transactions, transition
    table) lowers the watermark below any new row whose id is not above it (explicit ids), so
    that row is checked when its own event fires;
  * `ledger_leg_same_db_transaction` now also refuses legs added to a transaction that was
    already checked in this DB transaction (possible after SET CONSTRAINTS ... IMMEDIATE), so a
    checked transaction cannot be unbalanced afterwards. (Legs of transactions committed by
    another DB transaction were already refused.)
"""

from django.db import migrations

from ledger.migrations._postgres import postgres_sql, sql_file

FORWARD = "\n".join(
    [
        "CREATE INDEX ledger_transaction_created_txid ON ledger_transaction (created_txid, id);",
        sql_file("balance_watermark", 1),
        sql_file("transaction_balanced", 2),
        sql_file("legs_same_db_transaction", 2),
    ]
)

# back to 0002's per-row check
BACKWARD = "\n".join(
    [
        "DROP TRIGGER IF EXISTS ledger_transaction_watermark ON ledger_transaction;",
        "DROP FUNCTION IF EXISTS ledger_transaction_lower_watermark();",
        sql_file("transaction_balanced", 1),
        sql_file("legs_same_db_transaction", 1),
        "DROP FUNCTION IF EXISTS ledger_checked_upto();",
        "DROP INDEX IF EXISTS ledger_transaction_created_txid;",
    ]
)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_accountday_slots")]

    operations = [postgres_sql(FORWARD, BACKWARD)]
