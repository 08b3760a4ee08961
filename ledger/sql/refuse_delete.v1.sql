-- Version 1 (migration 0006): accounts and contracts are never deleted (legs refer to them;
-- their references are checked once, when a leg is written).
CREATE OR REPLACE FUNCTION ledger_refuse_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never deleted: legs refer to them', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE OR REPLACE TRIGGER ledger_account_no_delete
    BEFORE DELETE ON ledger_account FOR EACH ROW EXECUTE FUNCTION ledger_refuse_delete();
CREATE OR REPLACE TRIGGER ledger_contract_no_delete
    BEFORE DELETE ON ledger_contract FOR EACH ROW EXECUTE FUNCTION ledger_refuse_delete();
