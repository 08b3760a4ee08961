-- Version 1 (migration 0010): TRUNCATE of an append-only table is refused, whoever asks (the
-- owner role too: a trigger fires for every role). `ledger.append_only` binds it, BEFORE
-- TRUNCATE, to every table it lists (`<table>_no_truncate`). The test suite empties tables
-- through the one explicit path around it (tests/db_roles.py: the owner disables the trigger
-- inside the transaction that truncates).
CREATE OR REPLACE FUNCTION ledger_refuse_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
