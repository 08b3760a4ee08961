"""Locks on append-only rows.

`SELECT ... FOR UPDATE` needs the UPDATE privilege, which the application role does not have
on the append-only tables (ledger.append_only). Writers that must not interleave on one row
(the refunds and the reversal of one payment) take a transaction-level advisory lock on the
row's key instead: held until commit or rollback like a row lock and, since those rows are
never updated, serializing exactly what the row lock did. SQLite runs one writer at a time.
"""

from django.db import connection

# one key space per table: key = space << 48 | id (ids stay far below 2**48)
LOCK_SPACES = {"ledger_valueevent": 1, "ledger_transaction": 2}


def rows_lock(model, ids) -> None:
    """Lock rows of `model` by id until the end of the DB transaction, in id order (one lock
    order for every caller: no deadlock between two of them)."""
    if connection.vendor != "postgresql" or not ids:
        return
    space = LOCK_SPACES[model._meta.db_table]
    keys = sorted({space << 48 | pk for pk in ids})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(k) FROM (SELECT unnest(%s::bigint[]) AS k ORDER BY k) s", [keys]
        )
