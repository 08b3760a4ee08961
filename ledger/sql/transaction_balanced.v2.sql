-- The balance check, version 2 (migration 0004): set-based and incremental. The first firing
-- at commit checks every transaction this DB transaction created above the watermark
-- `ledger.checked_upto` (balance_watermark), in one query, then raises the watermark; later
-- firings at or below it return at once.
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

DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_transaction;
CREATE CONSTRAINT TRIGGER ledger_transaction_balanced
    AFTER INSERT ON ledger_transaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_transaction_balanced();
