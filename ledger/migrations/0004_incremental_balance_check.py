"""PostgreSQL: make the deferred balance check set-based and incremental (PostgreSQL only).

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

FORWARD = r"""
CREATE INDEX ledger_transaction_created_txid ON ledger_transaction (created_txid, id);

CREATE OR REPLACE FUNCTION ledger_checked_upto() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(NULLIF(current_setting('ledger.checked_upto', true), ''), '0')::bigint
$$;

CREATE OR REPLACE FUNCTION ledger_check_transaction_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    upto bigint := ledger_checked_upto();
    bad record;
    top bigint;
BEGIN
    IF NEW.id <= upto THEN
        RETURN NULL;  -- checked by an earlier firing in this DB transaction
    END IF;
    WITH mine AS (
        SELECT id FROM ledger_transaction WHERE id > upto AND created_txid = txid_current()
    ), sums AS (
        SELECT l.transaction_id, l.currency, sum(l.amount_minor) AS net, count(*) AS n
          FROM ledger_leg l JOIN mine ON mine.id = l.transaction_id
         GROUP BY l.transaction_id, l.currency
    )
    SELECT mine.id, COALESCE(sum(sums.n), 0) AS n_legs,
           min(sums.currency) FILTER (WHERE sums.net <> 0) AS bad_currency
      INTO bad
      FROM mine LEFT JOIN sums ON sums.transaction_id = mine.id
     GROUP BY mine.id
    HAVING COALESCE(sum(sums.n), 0) < 2 OR bool_or(sums.net <> 0)
     ORDER BY mine.id
     LIMIT 1;
    IF FOUND THEN
        IF bad.n_legs < 2 THEN
            RAISE EXCEPTION 'ledger transaction % has % leg(s); at least 2 are required', bad.id, bad.n_legs
                USING ERRCODE = 'check_violation';
        END IF;
        RAISE EXCEPTION 'ledger transaction % is unbalanced in %', bad.id, bad.bad_currency
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT max(id) INTO top FROM ledger_transaction WHERE id > upto AND created_txid = txid_current();
    IF top IS NOT NULL THEN
        PERFORM set_config('ledger.checked_upto', top::text, true);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ledger_transaction_lower_watermark() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    upto bigint := ledger_checked_upto();
    lowest bigint;
BEGIN
    IF upto = 0 THEN
        RETURN NULL;
    END IF;
    SELECT min(id) INTO lowest FROM new_transactions;
    IF lowest <= upto THEN
        PERFORM set_config('ledger.checked_upto', (lowest - 1)::text, true);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ledger_transaction_watermark
    AFTER INSERT ON ledger_transaction
    REFERENCING NEW TABLE AS new_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_transaction_lower_watermark();

CREATE OR REPLACE FUNCTION ledger_check_legs_same_db_transaction() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    closed_id bigint;
    upto bigint := ledger_checked_upto();
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
    IF upto > 0 THEN
        SELECT transaction_id INTO closed_id FROM new_legs WHERE transaction_id <= upto LIMIT 1;
        IF closed_id IS NOT NULL THEN
            RAISE EXCEPTION 'ledger transaction % was already checked as balanced; legs cannot be added',
                closed_id USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NULL;
END $$;
"""

# back to 0002's per-row check
BACKWARD = r"""
DROP TRIGGER IF EXISTS ledger_transaction_watermark ON ledger_transaction;
DROP FUNCTION IF EXISTS ledger_transaction_lower_watermark();

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

DROP FUNCTION IF EXISTS ledger_checked_upto();
DROP INDEX IF EXISTS ledger_transaction_created_txid;
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
    dependencies = [("ledger", "0003_accountday_slots")]

    operations = [migrations.RunPython(forward, backward)]
