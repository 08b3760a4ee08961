-- Version 1 (migration 0016): what validating and writing a batch of events reads, in one call
-- (ledger.context.posting_context_load). Before it the same fourteen lookups went as one
-- multi-statement string, which PostgreSQL parsed and planned again on every call (the
-- approved contracts three times over, the accounts' five-way UNION ALL): at haier scale
-- planning was three quarters of a single event's lookup time. A PL/pgSQL function keeps its
-- statements' plans for the session; the approved contracts and their node MEs are read once,
-- then everything else in one statement (one executor start, not fourteen).
--
-- The kept plan is the generic one (plan_cache_mode): left to choose, PostgreSQL kept
-- re-planning for every call, its custom plans looking cheaper than the generic estimate of
-- `= ANY(array)`. Every lookup here is by an indexed id, so the generic plan is the right one.
-- The accounts' shared kinds are written out for the same reason: as a parameter, the generic
-- plan expected most accounts to match and scanned them all.
--
-- One row per result row, tagged with the result it belongs to (1..14, in the order of
-- ledger.context._context_from_rows); the columns are generic (ids, texts, dates, a number),
-- ledger.context.CONTEXT_SHAPES says which of them make each result's tuple.
CREATE OR REPLACE FUNCTION ledger_posting_context(
    p_me bigint[], p_emc bigint[], p_scenario bigint[], p_solution bigint[], p_category bigint[],
    p_partner bigint[], p_approved text, p_until date, p_currencies text[]
) RETURNS TABLE (
    tag smallint, i1 bigint, i2 bigint, i3 bigint, t1 text, t2 text, t3 text, d1 date, d2 date,
    n1 numeric
)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
    v_contracts bigint[];
    v_node_mes bigint[];
BEGIN
    -- the approved contracts effective by the batch's last day, and their node MEs
    SELECT coalesce(array_agg(c.id), '{}') INTO v_contracts FROM ledger_contract c
        WHERE c.emc_id = ANY(p_emc) AND c.status = p_approved AND c.effective_from <= p_until;
    SELECT coalesce(array_agg(DISTINCT s.me_id), '{}') INTO v_node_mes
        FROM ledger_contractnodeshare s WHERE s.contract_id = ANY(v_contracts);
    -- the accounts the splits can credit (the posting still creates missing ones) are the last
    -- five: one index lookup per owner kind (an OR across the columns scanned every account);
    -- only the batch's partners' shares: a split reads the shares of the partners on its event
    RETURN QUERY
    SELECT 1::smallint, m.id, m.leader_id::bigint, NULL::bigint, m.code::text,
        m.status::text, NULL::text, m.ended_on, NULL::date, NULL::numeric
        FROM orgs_microenterprise m WHERE m.id = ANY(p_me)
    UNION ALL SELECT 2::smallint, e.id, e.lead_me_id, NULL::bigint, e.code::text, NULL::text,
        NULL::text, e.formed_on, e.ended_on, NULL::numeric
        FROM orgs_emc e WHERE e.id = ANY(p_emc)
    UNION ALL SELECT 3::smallint, n.emc_id, n.me_id, NULL::bigint, NULL::text, NULL::text,
        NULL::text, n.joined_on, n.left_on, NULL::numeric
        FROM orgs_emcnode n WHERE n.emc_id = ANY(p_emc) AND n.me_id = ANY(p_me)
    UNION ALL SELECT 4::smallint, s.emc_id, s.scenario_id, NULL::bigint, NULL::text, NULL::text,
        NULL::text, NULL::date, NULL::date, NULL::numeric
        FROM orgs_emc_scenarios s WHERE s.emc_id = ANY(p_emc) AND s.scenario_id = ANY(p_scenario)
    UNION ALL SELECT 5::smallint, s.id, s.scenario_id, NULL::bigint, s.name::text, NULL::text,
        NULL::text, NULL::date, NULL::date, NULL::numeric
        FROM orgs_solution s WHERE s.id = ANY(p_solution)
    UNION ALL SELECT 6::smallint, b.solution_id, b.category_id, NULL::bigint, c.name::text,
        NULL::text, NULL::text, NULL::date, NULL::date, NULL::numeric
        FROM orgs_solution_categories b JOIN orgs_category c ON c.id = b.category_id
        WHERE b.solution_id = ANY(p_solution)
    UNION ALL SELECT 7::smallint, c.id, NULL::bigint, NULL::bigint, c.name::text, NULL::text,
        NULL::text, NULL::date, NULL::date, NULL::numeric
        FROM orgs_category c WHERE c.id = ANY(p_category)
    UNION ALL SELECT 8::smallint, p.id, NULL::bigint, NULL::bigint, p.code::text, p.state::text,
        p.name::text, NULL::date, NULL::date, NULL::numeric
        FROM orgs_partner p WHERE p.id = ANY(p_partner)
    UNION ALL SELECT 9::smallint, x.emc_id, x.partner_id, NULL::bigint, NULL::text, NULL::text,
        NULL::text, x.started_on, x.ended_on, NULL::numeric
        FROM orgs_emcparticipation x WHERE x.emc_id = ANY(p_emc) AND x.partner_id = ANY(p_partner)
    UNION ALL SELECT 10::smallint, c.id, c.emc_id, c.version::bigint, c.currency::text,
        NULL::text, NULL::text, c.effective_from, NULL::date, c.platform_fee_pct::numeric
        FROM ledger_contract c WHERE c.id = ANY(v_contracts)
    UNION ALL SELECT 11::smallint, s.contract_id, s.partner_id, NULL::bigint, NULL::text,
        NULL::text, NULL::text, NULL::date, NULL::date, s.share_pct::numeric
        FROM ledger_contractpartnershare s
        WHERE s.contract_id = ANY(v_contracts) AND s.partner_id = ANY(p_partner)
    UNION ALL SELECT 12::smallint, s.contract_id, s.me_id, NULL::bigint, NULL::text, NULL::text,
        NULL::text, NULL::date, NULL::date, s.share_pct::numeric
        FROM ledger_contractnodeshare s WHERE s.contract_id = ANY(v_contracts)
    UNION ALL SELECT 13::smallint, m.id, NULL::bigint, NULL::bigint, m.code::text,
        m.status::text, NULL::text, m.ended_on, NULL::date, NULL::numeric
        FROM orgs_microenterprise m WHERE m.id = ANY(v_node_mes)
    UNION ALL SELECT 14::smallint, a.id, NULL::bigint, NULL::bigint, a.code::text, NULL::text,
        NULL::text, NULL::date, NULL::date, NULL::numeric
        FROM ledger_account a
        WHERE a.currency = ANY(p_currencies) AND a.kind IN ('clearing', 'platform', 'payable')
    UNION ALL SELECT 14::smallint, a.id, NULL, NULL, a.code::text, NULL, NULL, NULL, NULL, NULL
        FROM ledger_account a WHERE a.currency = ANY(p_currencies) AND a.me_id = ANY(p_me)
    UNION ALL SELECT 14::smallint, a.id, NULL, NULL, a.code::text, NULL, NULL, NULL, NULL, NULL
        FROM ledger_account a WHERE a.currency = ANY(p_currencies) AND a.emc_id = ANY(p_emc)
    UNION ALL SELECT 14::smallint, a.id, NULL, NULL, a.code::text, NULL, NULL, NULL, NULL, NULL
        FROM ledger_account a WHERE a.currency = ANY(p_currencies) AND a.partner_id = ANY(p_partner)
    UNION ALL SELECT 14::smallint, a.id, NULL, NULL, a.code::text, NULL, NULL, NULL, NULL, NULL
        FROM ledger_account a WHERE a.currency = ANY(p_currencies) AND a.me_id = ANY(v_node_mes);
END $$;
