-- Version 2 (migration 0010): an account keeps its id and currency (legs refer to them and
-- were checked against them when written); its name stays editable by the owner role (the
-- application role may not update accounts at all). A contract's id is kept by
-- contract_immutable since this version.
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
