-- Retired by migration 0010: any role could raise `ledger.checked_upto` with set_config and
-- so skip the balance check (transaction_balanced version 4 keeps no such setting).
-- Version 1 (migration 0004): the balance check's watermark, a transaction-local setting, and
-- the statement trigger lowering it below any new transaction inserted with an id at or under it.
CREATE OR REPLACE FUNCTION ledger_checked_upto() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(NULLIF(current_setting('ledger.checked_upto', true), ''), '0')::bigint
$$;

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

CREATE OR REPLACE TRIGGER ledger_transaction_watermark
    AFTER INSERT ON ledger_transaction
    REFERENCING NEW TABLE AS new_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_transaction_lower_watermark();
