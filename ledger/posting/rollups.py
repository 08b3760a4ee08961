"""Legs written with their daily rollups (AccountDay), and the one place that decides who writes
the rollups. (On PostgreSQL a batch below COPY_MIN_ROWS events inserts its legs in the posting's
one statement, `write._statement_write`: the same trigger adds their rollups.)

On PostgreSQL a large batch goes in by COPY, and the database adds the rollups itself from
every INSERT/COPY of legs, as the owner role (trigger `ledger_leg_rollup`,
ledger/sql/leg_rollup.v1.sql): the application role may not write them. SQLite has no such
trigger: the rollup rows are aggregated here and added with one upsert per UPSERT_BATCH
(account, day, slot) rows.
"""

import datetime as dt

from django.db import connection

from ledger import bulk
from ledger.models import ROLLUP_SLOTS, AccountDay, Leg
from ledger.posting.copy import basis_json, leg_lines
from ledger.posting.legs import LEG_COLUMNS, LegRow

UPSERT_BATCH = 1000


def legs_write(legs: list[LegRow]) -> None:
    """Insert legs; their daily rollups follow in the same DB transaction (by the database's
    trigger on PostgreSQL, by `_rollup_add` elsewhere)."""
    if bulk.is_postgres():
        if len(legs) >= bulk.COPY_MIN_ROWS:
            # large batches (imports): COPY text lines, streamed (formatted while PostgreSQL reads)
            bulk.copy_text(Leg._meta.db_table, LEG_COLUMNS, leg_lines(legs))
        else:
            _legs_insert(legs)
        return
    _legs_insert(legs)
    _rollup_add(legs)


def _legs_insert(legs: list[LegRow]) -> None:
    bulk.insert_rows(
        Leg._meta.db_table,
        LEG_COLUMNS,
        [
            (
                leg.transaction_id,
                leg.account_id,
                leg.currency,
                leg.amount_minor,
                leg.effective_on,
                leg.rule,
                leg.contract_id,
                basis_json(leg.basis),
            )
            for leg in legs
        ],
    )


def _rollup_add(legs: list[LegRow]) -> None:
    rollup: dict[tuple[int, dt.date, int], list[int]] = {}
    for leg in legs:
        key = (leg.account_id, leg.effective_on, leg.transaction_id % ROLLUP_SLOTS)
        agg = rollup.get(key)
        if agg is None:
            agg = rollup[key] = [0, 0, 0, 0]
        amount = leg.amount_minor
        agg[0] += amount
        if amount > 0:
            agg[1] += amount
        else:
            agg[2] -= amount
        agg[3] += 1
    accountday_upsert(rollup)


def accountday_upsert(rows: dict[tuple[int, dt.date, int], list[int]]) -> None:
    """Add pre-aggregated (account, day, slot) -> [net, debit, credit, legs] to the daily rollup
    (SQLite; on PostgreSQL the trigger ledger_leg_rollup does the same upsert, see legs_write)."""
    table = AccountDay._meta.db_table
    items = sorted(rows.items())  # one lock order for every posting: no deadlocks between them
    with connection.cursor() as cursor:
        for start in range(0, len(items), UPSERT_BATCH):
            chunk = items[start : start + UPSERT_BATCH]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            params = [v for key, agg in chunk for v in (*key, *agg)]
            cursor.execute(
                f"INSERT INTO {table} (account_id, day, slot, net_minor, debit_minor, credit_minor, legs) "
                f"VALUES {values} ON CONFLICT (account_id, day, slot) DO UPDATE SET "
                f"net_minor = {table}.net_minor + excluded.net_minor, "
                f"debit_minor = {table}.debit_minor + excluded.debit_minor, "
                f"credit_minor = {table}.credit_minor + excluded.credit_minor, "
                f"legs = {table}.legs + excluded.legs",
                params,
            )
