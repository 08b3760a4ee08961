"""Fast bulk writes for the posting engine.

On PostgreSQL rows go in with COPY (psycopg 3) and ids are reserved from the sequence first,
so no ORM instance has to round-trip; elsewhere (SQLite) `executemany` / `bulk_create` do.
Measured on the CSV path: the ORM's bulk_create spent ~85% of the time compiling SQL for
legs, events and transactions; COPY removes that (see bench/ for the figures).
"""

from django.db import connection

# COPY has a fixed cost per call (single-event posting went from 25 to 39 events/s without it); below this many rows
# one multi-row INSERT is faster. VALUES_BATCH keeps SQLite under its bound-variable limit.
COPY_MIN_ROWS = 500
VALUES_BATCH = 500


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def reserve_ids(table: str, count: int) -> list[int]:
    """Take `count` ids from the table's sequence (PostgreSQL only)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
        )
        return [row[0] for row in cursor.fetchall()]


def insert_rows(table: str, columns: list[str], rows: list[tuple]) -> None:
    """Insert plain tuples: COPY on PostgreSQL, executemany elsewhere. Errors map to Django's."""
    if not rows:
        return
    cols = ", ".join(columns)
    with connection.cursor() as cursor:
        if is_postgres() and len(rows) >= COPY_MIN_ROWS:
            raw = cursor.cursor  # the psycopg cursor: Django's wrapper has no copy()
            with connection.wrap_database_errors, raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
            for start in range(0, len(rows), VALUES_BATCH):
                chunk = rows[start : start + VALUES_BATCH]
                cursor.execute(
                    f"INSERT INTO {table} ({cols}) VALUES {', '.join([marks] * len(chunk))}",
                    [value for row in chunk for value in row],
                )


def model_rows(objs, fields: list[str]) -> list[tuple]:
    """(attname values) of unsaved model instances, for insert_rows."""
    return [tuple(getattr(obj, name) for name in fields) for obj in objs]
