-- The balance check, version 1 (migration 0002): at commit, a ledger transaction has at least
-- two legs and its legs sum to zero per currency. One check per transaction row.
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

DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_transaction;
CREATE CONSTRAINT TRIGGER ledger_transaction_balanced
    AFTER INSERT ON ledger_transaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_transaction_balanced();
