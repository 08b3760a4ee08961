-- The daily rollups, version 1 (migration 0010): written by the database from leg inserts, so
-- the application role needs no write privilege on ledger_accountday and nobody changes a
-- rollup directly.
--
-- * ledger_leg_rollup: once per INSERT/COPY statement of legs, set-based over its new legs
--   (transition table), adds each (account, day, slot) sum to ledger_accountday in one upsert,
--   as the owner role (SECURITY DEFINER, search_path fixed with pg_temp last). The slot is
--   transaction id % 8 (= ledger.models.ROLLUP_SLOTS): concurrent postings touching the same
--   accounts on the same day update different rows instead of queueing on one row lock. Rows
--   are upserted in (account, day, slot) order, one lock order for every posting: no deadlock
--   between two of them.
-- * ledger_accountday_written_by_legs: any other INSERT, UPDATE or DELETE of a rollup is
--   refused, for every role: a change is allowed only from inside a trigger (depth >= 2) run as
--   the table's owner, which is what ledger_leg_rollup is. (The application role has no write
--   privilege on the table in the first place; TRUNCATE is refused by `<table>_no_truncate`.)
--
-- SQLite has no such trigger: there ledger.posting adds the rollups in Python (one place:
-- `legs_write`).
CREATE OR REPLACE FUNCTION ledger_leg_rollup() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    EXECUTE $q$
        INSERT INTO ledger_accountday AS d
               (account_id, day, slot, net_minor, debit_minor, credit_minor, legs)
        SELECT account_id, effective_on, (transaction_id % 8)::smallint, sum(amount_minor),
               sum(greatest(amount_minor, 0)), sum(greatest(-amount_minor, 0)), count(*)
          FROM new_legs
         GROUP BY 1, 2, 3
         ORDER BY 1, 2, 3
        ON CONFLICT (account_id, day, slot) DO UPDATE SET
               net_minor = d.net_minor + excluded.net_minor,
               debit_minor = d.debit_minor + excluded.debit_minor,
               credit_minor = d.credit_minor + excluded.credit_minor,
               legs = d.legs + excluded.legs
    $q$;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER ledger_leg_rollup
    AFTER INSERT ON ledger_leg
    REFERENCING NEW TABLE AS new_legs
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_leg_rollup();

CREATE OR REPLACE FUNCTION ledger_accountday_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() < 2
       OR NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
        RAISE EXCEPTION 'ledger_accountday is written by the database from legs: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE OR REPLACE TRIGGER ledger_accountday_written_by_legs
    BEFORE INSERT OR UPDATE OR DELETE ON ledger_accountday
    FOR EACH ROW EXECUTE FUNCTION ledger_accountday_guard();
