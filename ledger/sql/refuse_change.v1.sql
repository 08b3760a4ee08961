-- Version 1 (migration 0002): the guard of append-only rows. `ledger.append_only` binds it,
-- BEFORE UPDATE OR DELETE, to every append-only table (`<table>_append_only`).
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused (post a reversing transaction instead)',
        TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
