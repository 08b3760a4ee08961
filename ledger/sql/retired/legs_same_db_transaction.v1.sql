-- Retired by migration 0006 (replaced by leg_checked). Version 1 (migration 0002): legs join
-- only a ledger transaction created by this DB transaction.
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

DROP TRIGGER IF EXISTS ledger_leg_same_db_transaction ON ledger_leg;
CREATE TRIGGER ledger_leg_same_db_transaction
    AFTER INSERT ON ledger_leg
    REFERENCING NEW TABLE AS new_legs
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_legs_same_db_transaction();
