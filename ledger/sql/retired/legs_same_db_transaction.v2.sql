-- Retired by migration 0006 (replaced by leg_checked). Version 2 (migration 0004): as
-- version 1, and no leg joins a transaction already checked as balanced (watermark).
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

DROP TRIGGER IF EXISTS ledger_leg_same_db_transaction ON ledger_leg;
CREATE TRIGGER ledger_leg_same_db_transaction
    AFTER INSERT ON ledger_leg
    REFERENCING NEW TABLE AS new_legs
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_legs_same_db_transaction();
