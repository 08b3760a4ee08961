-- Legs' references, version 2 (migration 0008): as version 1, its queries planned afresh for
-- each statement (EXECUTE), with the real size of the statement's new legs.
CREATE OR REPLACE FUNCTION ledger_check_new_legs() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    upto bigint := ledger_checked_upto();
    bad record;
BEGIN
    EXECUTE $q$
        SELECT n.transaction_id, t.id AS found, t.created_txid
          FROM (SELECT DISTINCT transaction_id FROM new_legs) n
          LEFT JOIN ledger_transaction t ON t.id = n.transaction_id
         WHERE t.id IS NULL OR t.created_txid <> txid_current() OR n.transaction_id <= $1
         ORDER BY n.transaction_id
         LIMIT 1
    $q$ INTO bad USING upto;
    IF bad.transaction_id IS NOT NULL THEN
        IF bad.found IS NULL THEN
            RAISE EXCEPTION 'ledger leg refers to transaction %, which does not exist', bad.transaction_id
                USING ERRCODE = 'foreign_key_violation';
        ELSIF bad.created_txid <> txid_current() THEN
            RAISE EXCEPTION 'ledger transaction % is already committed; legs cannot be added',
                bad.transaction_id USING ERRCODE = 'check_violation';
        END IF;
        RAISE EXCEPTION 'ledger transaction % was already checked as balanced; legs cannot be added',
            bad.transaction_id USING ERRCODE = 'check_violation';
    END IF;

    EXECUTE $q$
        SELECT n.account_id, n.currency, a.id AS found, a.currency AS account_currency
          FROM (SELECT DISTINCT account_id, currency FROM new_legs) n
          LEFT JOIN ledger_account a ON a.id = n.account_id
         WHERE a.id IS NULL OR a.currency <> n.currency
         LIMIT 1
    $q$ INTO bad;
    IF bad.account_id IS NOT NULL THEN
        IF bad.found IS NULL THEN
            RAISE EXCEPTION 'ledger leg refers to account %, which does not exist', bad.account_id
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RAISE EXCEPTION 'ledger leg in % on account %, which is in %', bad.currency, bad.account_id,
            bad.account_currency USING ERRCODE = 'check_violation';
    END IF;

    EXECUTE $q$
        SELECT n.contract_id
          FROM (SELECT DISTINCT contract_id FROM new_legs WHERE contract_id IS NOT NULL) n
          LEFT JOIN ledger_contract c ON c.id = n.contract_id
         WHERE c.id IS NULL
         LIMIT 1
    $q$ INTO bad;
    IF bad.contract_id IS NOT NULL THEN
        RAISE EXCEPTION 'ledger leg refers to contract %, which does not exist', bad.contract_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS ledger_leg_checked ON ledger_leg;
CREATE TRIGGER ledger_leg_checked
    AFTER INSERT ON ledger_leg
    REFERENCING NEW TABLE AS new_legs
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_new_legs();
