-- Version 1 (migration 0017): the one statement writing a batch below COPY_MIN_ROWS events
-- (ledger.posting.write._statement_write: a logged event, an API batch, a generator's day),
-- as a function. As a statement sent with its values it was planned again on every call
-- (0.3 ms of a single event at haier scale); here its plan is kept for the session (the
-- generic one: the rows come as JSON, every plan of it is the same).
--
-- The statement: ids for each event (`ord` 0..n-1: its transaction's and its own, from the
-- tables' sequences), then each table's rows from its JSON parameter, read as the table's own
-- row type (json_populate_recordset), where the row's id, or its reference to the batch,
-- carries the event's ord. A refund of a payment of the same batch gives -1 - (the payment's
-- ord) as its original_id. Rows go in in their given order. The same rows, statement triggers
-- (the legs' checks and daily rollups, the commit-time balance check) and constraints as one
-- INSERT per table. The columns are ledger.posting.write's TXN_FIELDS, EVENT_FIELDS and
-- ledger.posting.legs.LEG_COLUMNS (tests/ledger/test_posting_statement.py compares them).
CREATE OR REPLACE FUNCTION ledger_posting_write(
    p_n integer, p_txns json, p_events json, p_links json, p_legs json
) RETURNS TABLE (o_txn_id bigint, o_event_id bigint)
LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    RETURN QUERY
    WITH ids AS MATERIALIZED (
        SELECT ord,
            nextval((SELECT pg_get_serial_sequence('ledger_transaction', 'id'))) AS txn_id,
            nextval((SELECT pg_get_serial_sequence('ledger_valueevent', 'id'))) AS event_id
        FROM generate_series(0, p_n - 1) AS ord ORDER BY ord
    ), t AS (
        INSERT INTO ledger_transaction (id, kind, effective_on, recorded_at, recorded_by_id, memo,
            contract_id, reverses_id)
        SELECT ids.txn_id, r.kind, r.effective_on, r.recorded_at, r.recorded_by_id, r.memo,
            r.contract_id, r.reverses_id
        FROM json_populate_recordset(NULL::ledger_transaction, p_txns) WITH ORDINALITY AS r
        JOIN ids ON ids.ord = r.id ORDER BY r.ordinality
    ), e AS (
        INSERT INTO ledger_valueevent (id, kind, me_id, emc_id, scenario_id, solution_id,
            category_id, user_ref, amount_minor, currency, occurred_at, occurred_on, customized,
            original_id, transaction_id, note, logged_by_id, logged_at, source, import_batch_id,
            idempotency_key)
        SELECT ids.event_id, r.kind, r.me_id, r.emc_id, r.scenario_id, r.solution_id,
            r.category_id, r.user_ref, r.amount_minor, r.currency, r.occurred_at, r.occurred_on,
            r.customized, CASE WHEN r.original_id < 0 THEN o.event_id ELSE r.original_id END,
            ids.txn_id, r.note, r.logged_by_id, r.logged_at, r.source, r.import_batch_id,
            r.idempotency_key
        FROM json_populate_recordset(NULL::ledger_valueevent, p_events) WITH ORDINALITY AS r
        JOIN ids ON ids.ord = r.id
        LEFT JOIN ids o ON r.original_id < 0 AND o.ord = -1 - r.original_id
        ORDER BY r.ordinality
    ), p AS (
        INSERT INTO ledger_valueeventpartner (event_id, partner_id)
        SELECT ids.event_id, r.partner_id
        FROM json_populate_recordset(NULL::ledger_valueeventpartner, p_links) WITH ORDINALITY AS r
        JOIN ids ON ids.ord = r.event_id ORDER BY r.ordinality
    ), l AS (
        INSERT INTO ledger_leg (transaction_id, account_id, currency, amount_minor, effective_on,
            rule, contract_id, basis)
        SELECT ids.txn_id, r.account_id, r.currency, r.amount_minor, r.effective_on, r.rule,
            r.contract_id, r.basis
        FROM json_populate_recordset(NULL::ledger_leg, p_legs) WITH ORDINALITY AS r
        JOIN ids ON ids.ord = r.transaction_id ORDER BY r.ordinality
    )
    SELECT ids.txn_id, ids.event_id FROM ids ORDER BY ids.ord;
END $$;
