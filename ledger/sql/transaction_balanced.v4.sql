-- The balance check, version 4 (migration 0010): at commit, every ledger transaction created
-- by this DB transaction has at least two legs and its legs sum to zero per currency. Nothing
-- a caller can set skips it.
--
-- * `ledger_balance_pending` holds one row per DB transaction whose ledger rows are not checked
--   yet. It belongs to the owner role; the application role has no privilege on it
--   (`ledger.append_only.PRIVATE_TABLES`). The statement triggers on new transactions (below)
--   and new legs (leg_checked) insert the row, as the owner (SECURITY DEFINER); the deferred
--   constraint trigger on it fires once per DB transaction at commit, checks every transaction
--   with created_txid = txid_current() in one query (planned when it runs, as in version 3)
--   and deletes the row. Version 3 trusted a watermark in the setting `ledger.checked_upto`,
--   which any role could raise with set_config after inserting unbalanced legs.
-- * A check forced early (SET CONSTRAINTS ... IMMEDIATE) consumes the row; a transaction or leg
--   inserted afterwards in the same DB transaction inserts it again, and the commit checks
--   every transaction of the DB transaction again.
-- * created_txid belongs to the database: a transaction inserted with another value is
--   refused (version 3 never checked a transaction whose created_txid was not its own).
-- * UNLOGGED: the row lives until commit at most, so it needs no WAL.
CREATE UNLOGGED TABLE IF NOT EXISTS ledger_balance_pending (txid bigint PRIMARY KEY);

CREATE OR REPLACE FUNCTION ledger_transactions_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    forged bigint;
BEGIN
    SELECT id INTO forged FROM new_transactions WHERE created_txid <> txid_current() LIMIT 1;
    IF forged IS NOT NULL THEN
        RAISE EXCEPTION 'ledger transaction %: created_txid is set by the database, not by the caller',
            forged USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO ledger_balance_pending (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER ledger_transaction_inserted
    AFTER INSERT ON ledger_transaction
    REFERENCING NEW TABLE AS new_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_transactions_inserted();

CREATE OR REPLACE FUNCTION ledger_check_transaction_balanced() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    bad record;
BEGIN
    EXECUTE $q$
        WITH sums AS (
            SELECT t.id, l.currency, sum(l.amount_minor) AS net, count(l.id) AS n
              FROM ledger_transaction t
              LEFT JOIN ledger_leg l ON l.transaction_id = t.id
             WHERE t.created_txid = $1
             GROUP BY t.id, l.currency
        )
        SELECT id, sum(n) AS n_legs, min(currency) FILTER (WHERE net <> 0) AS bad_currency
          FROM sums
         GROUP BY id
        HAVING sum(n) < 2 OR bool_or(net <> 0)
         ORDER BY id
         LIMIT 1
    $q$ INTO bad USING NEW.txid;
    IF bad.id IS NOT NULL THEN
        IF bad.n_legs < 2 THEN
            RAISE EXCEPTION 'ledger transaction % has % leg(s); at least 2 are required', bad.id, bad.n_legs
                USING ERRCODE = 'check_violation';
        END IF;
        RAISE EXCEPTION 'ledger transaction % is unbalanced in %', bad.id, bad.bad_currency
            USING ERRCODE = 'check_violation';
    END IF;
    DELETE FROM ledger_balance_pending WHERE txid = NEW.txid;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_transaction;
DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_balance_pending;
CREATE CONSTRAINT TRIGGER ledger_transaction_balanced
    AFTER INSERT ON ledger_balance_pending
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_transaction_balanced();
