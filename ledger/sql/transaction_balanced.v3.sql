-- The balance check, version 3 (migration 0008): as version 2, its query planned afresh for
-- each firing (EXECUTE), so a plan cached from a small posting never runs a large import.
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
    EXECUTE $q$
        WITH sums AS (
            SELECT t.id, l.currency, sum(l.amount_minor) AS net, count(l.id) AS n
              FROM ledger_transaction t
              LEFT JOIN ledger_leg l ON l.transaction_id = t.id
             WHERE t.id > $1 AND t.created_txid = txid_current()
             GROUP BY t.id, l.currency
        )
        SELECT id, sum(n) AS n_legs, min(currency) FILTER (WHERE net <> 0) AS bad_currency
          FROM sums
         GROUP BY id
        HAVING sum(n) < 2 OR bool_or(net <> 0)
         ORDER BY id
         LIMIT 1
    $q$ INTO bad USING upto;
    IF bad.id IS NOT NULL THEN
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
