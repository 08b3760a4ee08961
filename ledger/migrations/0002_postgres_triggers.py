"""PostgreSQL guards below the ORM (skipped on other databases; Python repeats the checks).

1. `ledger_transaction_balanced`: a DEFERRABLE INITIALLY DEFERRED constraint trigger on each
   new transaction row; at commit it rejects a transaction with fewer than two legs or whose
   legs do not sum to zero per currency. One check per transaction, not per leg.
2. `ledger_leg_same_db_transaction`: a statement-level AFTER INSERT trigger on legs (transition
   table) rejecting legs added to a transaction that an earlier DB transaction created, so a
   committed (checked) transaction can never be unbalanced later. The creating txid is kept in
   a PostgreSQL-only column `created_txid` (DEFAULT txid_current(): the top-level id, also
   inside savepoints, unlike xmin).
3. `ledger_*_append_only`: BEFORE UPDATE OR DELETE on transactions and legs raise. TRUNCATE is
   deliberately not blocked (test teardown and disaster recovery use it).
"""

from django.db import migrations

FORWARD = r"""
ALTER TABLE ledger_transaction ADD COLUMN created_txid bigint NOT NULL DEFAULT txid_current();

CREATE OR REPLACE FUNCTION ledger_check_transaction_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    n_legs bigint;
    bad_currency text;
BEGIN
    SELECT count(*) INTO n_legs FROM ledger_leg WHERE transaction_id = NEW.id;
    IF n_legs < 2 THEN
        RAISE EXCEPTION 'ledger transaction % has % leg(s); at least 2 are required', NEW.id, n_legs
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT currency INTO bad_currency FROM ledger_leg WHERE transaction_id = NEW.id
        GROUP BY currency HAVING sum(amount_minor) <> 0 LIMIT 1;
    IF bad_currency IS NOT NULL THEN
        RAISE EXCEPTION 'ledger transaction % is unbalanced in %', NEW.id, bad_currency
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_transaction_balanced
    AFTER INSERT ON ledger_transaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_transaction_balanced();

CREATE OR REPLACE FUNCTION ledger_check_legs_same_db_transaction() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    closed_id bigint;
BEGIN
    SELECT t.id INTO closed_id
      FROM ledger_transaction t
      JOIN (SELECT DISTINCT transaction_id FROM new_legs) n ON n.transaction_id = t.id
     WHERE t.created_txid <> txid_current()
     LIMIT 1;
    IF closed_id IS NOT NULL THEN
        RAISE EXCEPTION 'ledger transaction % is already committed; legs cannot be added', closed_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ledger_leg_same_db_transaction
    AFTER INSERT ON ledger_leg
    REFERENCING NEW TABLE AS new_legs
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_legs_same_db_transaction();

CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused (post a reversing transaction instead)',
        TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER ledger_transaction_append_only
    BEFORE UPDATE OR DELETE ON ledger_transaction
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE TRIGGER ledger_leg_append_only
    BEFORE UPDATE OR DELETE ON ledger_leg
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS ledger_leg_append_only ON ledger_leg;
DROP TRIGGER IF EXISTS ledger_transaction_append_only ON ledger_transaction;
DROP FUNCTION IF EXISTS ledger_refuse_change();
DROP TRIGGER IF EXISTS ledger_leg_same_db_transaction ON ledger_leg;
DROP FUNCTION IF EXISTS ledger_check_legs_same_db_transaction();
DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_transaction;
DROP FUNCTION IF EXISTS ledger_check_transaction_balanced();
ALTER TABLE ledger_transaction DROP COLUMN IF EXISTS created_txid;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:  # no params: '%' stays literal
            cursor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
