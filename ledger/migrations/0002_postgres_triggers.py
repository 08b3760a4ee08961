"""PostgreSQL guards below the ORM (skipped on other databases; Python repeats the checks).

1. `ledger_transaction_balanced` (ledger/sql/transaction_balanced.v1.sql): a DEFERRABLE
   INITIALLY DEFERRED constraint trigger on each new transaction row; at commit it rejects a
   transaction with fewer than two legs or whose legs do not sum to zero per currency.
2. `ledger_leg_same_db_transaction` (ledger/sql/retired/legs_same_db_transaction.v1.sql): a
   statement-level AFTER INSERT trigger on legs rejecting legs added to a transaction that an
   earlier DB transaction created, so a committed (checked) transaction can never be
   unbalanced later. The creating txid is kept in a PostgreSQL-only column `created_txid`
   (DEFAULT txid_current(): the top-level id, also inside savepoints, unlike xmin).
3. `ledger_*_append_only`: BEFORE UPDATE OR DELETE on transactions and legs raise
   (ledger/sql/refuse_change.v1.sql; since 0010 `ledger.append_only` binds it to every
   append-only table).
"""

from django.db import migrations

from ledger.migrations._postgres import postgres_sql, sql_file

FORWARD = "\n".join(
    [
        "ALTER TABLE ledger_transaction ADD COLUMN created_txid bigint NOT NULL DEFAULT txid_current();",
        sql_file("transaction_balanced", 1),
        sql_file("legs_same_db_transaction", 1),
        sql_file("refuse_change", 1),
        """
CREATE TRIGGER ledger_transaction_append_only
    BEFORE UPDATE OR DELETE ON ledger_transaction
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE TRIGGER ledger_leg_append_only
    BEFORE UPDATE OR DELETE ON ledger_leg
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
""",
    ]
)

# CASCADE: since 0010 `ledger.append_only` binds ledger_refuse_change() to more tables
BACKWARD = r"""
DROP TRIGGER IF EXISTS ledger_leg_append_only ON ledger_leg;
DROP TRIGGER IF EXISTS ledger_transaction_append_only ON ledger_transaction;
DROP FUNCTION IF EXISTS ledger_refuse_change() CASCADE;
DROP TRIGGER IF EXISTS ledger_leg_same_db_transaction ON ledger_leg;
DROP FUNCTION IF EXISTS ledger_check_legs_same_db_transaction();
DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_transaction;
DROP FUNCTION IF EXISTS ledger_check_transaction_balanced();
ALTER TABLE ledger_transaction DROP COLUMN IF EXISTS created_txid;
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [postgres_sql(FORWARD, BACKWARD)]
