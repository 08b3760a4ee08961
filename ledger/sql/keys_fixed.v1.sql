-- Version 1 (migration 0009): an account keeps its id and currency, a contract its id (legs
-- refer to them and were checked against them when written). Names and other fields of an
-- account stay editable by the owner role.
CREATE OR REPLACE FUNCTION ledger_refuse_key_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows keep their id (and an account its currency): legs refer to them',
        TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE OR REPLACE TRIGGER ledger_account_keys_fixed
    BEFORE UPDATE ON ledger_account FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.currency IS DISTINCT FROM NEW.currency)
    EXECUTE FUNCTION ledger_refuse_key_change();
CREATE OR REPLACE TRIGGER ledger_contract_keys_fixed
    BEFORE UPDATE ON ledger_contract FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION ledger_refuse_key_change();
