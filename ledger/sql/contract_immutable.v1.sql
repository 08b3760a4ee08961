-- Approved contracts are immutable, version 1 (migration 0010). The terms of a contract
-- version explain every posting made under it, so once it leaves draft they never change; a
-- new version is the only change.
--
-- * ledger_contract_immutable: a contract keeps its id. A draft may change (approval sets its
--   status, approver and time). An approved contract may only be withdrawn: its status goes
--   from approved to withdrawn and every other column stays as it was (no longer applied to new
--   events; its terms still explain the old ones). A withdrawn contract never changes.
--   (Contracts are never deleted: refuse_delete.)
-- * <table>_terms_fixed on its tiers, partner shares, node shares and goals: rows are added,
--   changed or removed only while their contract is a draft. The contract row is read FOR
--   SHARE, so a term cannot slip in while a concurrent approval (which locks the row for update
--   and validates the stored terms) commits.
CREATE OR REPLACE FUNCTION ledger_contract_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id THEN
        RAISE EXCEPTION 'ledger_contract rows keep their id: legs refer to them'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.status = 'draft' THEN
        RETURN NEW;
    END IF;
    IF OLD.status = 'approved' AND NEW.status = 'withdrawn'
       AND to_jsonb(NEW) - 'status' = to_jsonb(OLD) - 'status' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'contract % (version % of EMC %) is %: its terms never change; approve a new version',
        OLD.id, OLD.version, OLD.emc_id, OLD.status USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE OR REPLACE TRIGGER ledger_contract_immutable
    BEFORE UPDATE ON ledger_contract
    FOR EACH ROW EXECUTE FUNCTION ledger_contract_guard();

CREATE OR REPLACE FUNCTION ledger_contract_terms_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    cid bigint;
    cstatus text;
BEGIN
    FOREACH cid IN ARRAY (
        CASE TG_OP
            WHEN 'INSERT' THEN ARRAY[NEW.contract_id]
            WHEN 'DELETE' THEN ARRAY[OLD.contract_id]
            ELSE ARRAY[OLD.contract_id, NEW.contract_id]
        END
    ) LOOP
        SELECT status INTO cstatus FROM ledger_contract WHERE id = cid FOR SHARE;
        IF cstatus <> 'draft' THEN  -- (no row: the foreign key reports it)
            RAISE EXCEPTION 'contract % is %: its % rows never change; approve a new version',
                cid, cstatus, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
        END IF;
    END LOOP;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE OR REPLACE TRIGGER ledger_contracttier_terms_fixed
    BEFORE INSERT OR UPDATE OR DELETE ON ledger_contracttier
    FOR EACH ROW EXECUTE FUNCTION ledger_contract_terms_guard();
CREATE OR REPLACE TRIGGER ledger_contractpartnershare_terms_fixed
    BEFORE INSERT OR UPDATE OR DELETE ON ledger_contractpartnershare
    FOR EACH ROW EXECUTE FUNCTION ledger_contract_terms_guard();
CREATE OR REPLACE TRIGGER ledger_contractnodeshare_terms_fixed
    BEFORE INSERT OR UPDATE OR DELETE ON ledger_contractnodeshare
    FOR EACH ROW EXECUTE FUNCTION ledger_contract_terms_guard();
CREATE OR REPLACE TRIGGER ledger_contractgoal_terms_fixed
    BEFORE INSERT OR UPDATE OR DELETE ON ledger_contractgoal
    FOR EACH ROW EXECUTE FUNCTION ledger_contract_terms_guard();
