"""PostgreSQL: the ledger's checks plan their queries afresh for each statement.

Both checks were quadratic once a small posting had planned them first. PL/pgSQL caches a
query's plan for the session, and a plan made while the transition table held 7 legs (or
while `created_txid = txid_current()` looked like one row) joined with a nested loop over a
materialized scan. Reused for a 160,000-leg import, that loop re-scanned the whole inner side
for every row. Seen with auto_explain:
- a 20,000-row import after 600 single postings spent 5.3 s in `ledger_check_new_legs`;
- after an ANALYZE it spent 39 s in `ledger_transaction_balanced` at commit, against 0.1 s on a
  fresh database.

Now:
- both queries run through EXECUTE, so each is planned when it runs, with the real size of the
  statement's new rows;
- the balance check aggregates `transaction LEFT JOIN leg ON leg.transaction_id = id` directly,
  an equality join that the planner answers with the leg index or a hash, instead of joining
  two derived tables.
The checks and their messages are unchanged.
"""

import importlib
import re

from django.db import migrations

from ledger.migrations._postgres import postgres_sql

FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_check_transaction_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    upto bigint := ledger_checked_upto();
    bad record;
    top bigint;
BEGIN
    IF NEW.id <= upto THEN
        RETURN NULL;  -- checked by an earlier firing in this DB transaction
    END IF;
    EXECUTE $q$
        WITH sums AS (
            SELECT t.id, l.currency, sum(l.amount_minor) AS net, count(l.id) AS n
              FROM ledger_transaction t
              LEFT JOIN ledger_leg l ON l.transaction_id = t.id
             WHERE t.id > $1 AND t.created_txid = txid_current()
             GROUP BY t.id, l.currency
        )
        SELECT id, sum(n) AS n_legs, min(currency) FILTER (WHERE net <> 0) AS bad_currency
          FROM sums
         GROUP BY id
        HAVING sum(n) < 2 OR bool_or(net <> 0)
         ORDER BY id
         LIMIT 1
    $q$ INTO bad USING upto;
    IF bad.id IS NOT NULL THEN
        IF bad.n_legs < 2 THEN
            RAISE EXCEPTION 'ledger transaction % has % leg(s); at least 2 are required', bad.id, bad.n_legs
                USING ERRCODE = 'check_violation';
        END IF;
        RAISE EXCEPTION 'ledger transaction % is unbalanced in %', bad.id, bad.bad_currency
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT max(id) INTO top FROM ledger_transaction WHERE id > upto AND created_txid = txid_current();
    IF top IS NOT NULL THEN
        PERFORM set_config('ledger.checked_upto', top::text, true);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ledger_check_new_legs() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    upto bigint := ledger_checked_upto();
    bad record;
BEGIN
    EXECUTE $q$
        SELECT n.transaction_id, t.id AS found, t.created_txid
          FROM (SELECT DISTINCT transaction_id FROM new_legs) n
          LEFT JOIN ledger_transaction t ON t.id = n.transaction_id
         WHERE t.id IS NULL OR t.created_txid <> txid_current() OR n.transaction_id <= $1
         ORDER BY n.transaction_id
         LIMIT 1
    $q$ INTO bad USING upto;
    IF bad.transaction_id IS NOT NULL THEN
        IF bad.found IS NULL THEN
            RAISE EXCEPTION 'ledger leg refers to transaction %, which does not exist', bad.transaction_id
                USING ERRCODE = 'foreign_key_violation';
        ELSIF bad.created_txid <> txid_current() THEN
            RAISE EXCEPTION 'ledger transaction % is already committed; legs cannot be added',
                bad.transaction_id USING ERRCODE = 'check_violation';
        END IF;
        RAISE EXCEPTION 'ledger transaction % was already checked as balanced; legs cannot be added',
            bad.transaction_id USING ERRCODE = 'check_violation';
    END IF;

    EXECUTE $q$
        SELECT n.account_id, n.currency, a.id AS found, a.currency AS account_currency
          FROM (SELECT DISTINCT account_id, currency FROM new_legs) n
          LEFT JOIN ledger_account a ON a.id = n.account_id
         WHERE a.id IS NULL OR a.currency <> n.currency
         LIMIT 1
    $q$ INTO bad;
    IF bad.account_id IS NOT NULL THEN
        IF bad.found IS NULL THEN
            RAISE EXCEPTION 'ledger leg refers to account %, which does not exist', bad.account_id
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RAISE EXCEPTION 'ledger leg in % on account %, which is in %', bad.currency, bad.account_id,
            bad.account_currency USING ERRCODE = 'check_violation';
    END IF;

    EXECUTE $q$
        SELECT n.contract_id
          FROM (SELECT DISTINCT contract_id FROM new_legs WHERE contract_id IS NOT NULL) n
          LEFT JOIN ledger_contract c ON c.id = n.contract_id
         WHERE c.id IS NULL
         LIMIT 1
    $q$ INTO bad;
    IF bad.contract_id IS NOT NULL THEN
        RAISE EXCEPTION 'ledger leg refers to contract %, which does not exist', bad.contract_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
"""


def _function(migration: str, name: str) -> str:
    """A function's definition as an earlier migration wrote it (restored when going back)."""
    module = importlib.import_module(f"ledger.migrations.{migration}")
    return re.search(rf"CREATE OR REPLACE FUNCTION {name}\(\).*?END \$\$;", module.FORWARD, re.S).group(0)


def _previous_definitions() -> str:
    return "\n".join(
        [
            _function("0004_incremental_balance_check", "ledger_check_transaction_balanced"),
            _function("0006_leg_references_checked_per_statement", "ledger_check_new_legs"),
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_import_batch_in_progress")]

    operations = [postgres_sql(FORWARD, _previous_definitions)]
