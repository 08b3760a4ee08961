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
--   between two of them. A plain statement, its plan kept for the session: it joins nothing, so
--   a plan made for 8 legs serves 160,000 as well (unlike the checks of 0008), and a single
--   posting does not pay a planning.
-- * ledger_accountday_written_by_legs: any INSERT, UPDATE or DELETE of a rollup that does not
--   come from inside a trigger (ledger_leg_rollup's upsert) is refused, for every role. Decided
--   in the trigger's WHEN clause (evaluated before this trigger counts in the depth: 0 for a
--   statement of a session, 1 inside ledger_leg_rollup), so the rollup's own upserts call no
--   function at all. The application role has no write privilege on the table
--   in the first place (so not from a trigger of its own either); TRUNCATE is refused by
--   `<table>_no_truncate`.
--
-- SQLite has no such trigger: there ledger.posting adds the rollups in Python (one place:
-- `legs_write`).
CREATE OR REPLACE FUNCTION ledger_leg_rollup() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
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
           legs = d.legs + excluded.legs;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER ledger_leg_rollup
    AFTER INSERT ON ledger_leg
    REFERENCING NEW TABLE AS new_legs
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_leg_rollup();

CREATE OR REPLACE FUNCTION ledger_accountday_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_accountday is written by the database from legs: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE OR REPLACE TRIGGER ledger_accountday_written_by_legs
    BEFORE INSERT OR UPDATE OR DELETE ON ledger_accountday
    FOR EACH ROW WHEN (pg_trigger_depth() < 1)
    EXECUTE FUNCTION ledger_accountday_refuse();
