"""Fast bulk writes for the posting engine.

On PostgreSQL rows go in with COPY (psycopg 3) and ids are reserved from the sequence first,
so no ORM instance has to round-trip; elsewhere (SQLite) `executemany` / `bulk_create` do.
Measured on the CSV path: the ORM's bulk_create spent ~85% of the time compiling SQL for
legs, events and transactions; COPY removes that (see bench/ for the figures).
"""

import gc
from collections.abc import Iterable
from contextlib import contextmanager
from itertools import islice

from django.db import connection

# COPY has a fixed cost per call (single-event posting went from 25 to 39 events/s without it); below this many rows
# one multi-row INSERT is faster. VALUES_BATCH keeps SQLite under its bound-variable limit.
COPY_MIN_ROWS = 500
VALUES_BATCH = 500
COPY_CHUNK = 2000  # COPY text lines per write (~150 kB of legs)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def gc_paused():
    """Pause Python's cyclic garbage collector for a batch; reference counting still frees
    every object as it goes. A chunk of an import holds tens of thousands of small objects
    (specs, plans, parts, legs) at once; with the collector on they trigger full collections,
    each walking the whole heap: ~40% of an import's CPU. The posting engine makes no
    reference cycles (0 found after a 60,000-row import), so nothing piles up meanwhile.
    Nests; the collector runs again when the outermost pause ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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


def insert_returning_ids(table: str, columns: list[str], rows: list[tuple]) -> list[int]:
    """Insert plain tuples and return their new ids in order (PostgreSQL only): one
    `INSERT ... RETURNING id` round trip for small batches (no separate nextval call), ids
    reserved from the sequence + COPY for large ones."""
    if not rows:
        return []
    if len(rows) >= COPY_MIN_ROWS:
        ids = reserve_ids(table, len(rows))
        insert_rows(table, ["id", *columns], [(pk, *row) for pk, row in zip(ids, rows, strict=True)])
        return ids
    cols = ", ".join(columns)
    marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), VALUES_BATCH):
            chunk = rows[start : start + VALUES_BATCH]
            # PostgreSQL returns the rows of a multi-row VALUES insert in order (Django's
            # bulk_create relies on the same)
            cursor.execute(
                f"INSERT INTO {table} ({cols}) VALUES {', '.join([marks] * len(chunk))} RETURNING id",
                [value for row in chunk for value in row],
            )
            ids.extend(row[0] for row in cursor.fetchall())
    return ids


def copy_text(table: str, columns: list[str], lines: Iterable[str]) -> None:
    """COPY pre-formatted text-format lines (PostgreSQL only): the caller escapes values
    (backslash, tab, newline) and writes NULL as \\N. Much cheaper than write_row per row for
    the legs, whose values are numbers, dates, code constants and JSON. `lines` may be a
    generator: it is sent COPY_CHUNK lines at a time, so PostgreSQL reads one chunk while the
    next is formatted."""
    cols = ", ".join(columns)
    lines = iter(lines)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with connection.wrap_database_errors, raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            while chunk := "".join(islice(lines, COPY_CHUNK)):
                copy.write(chunk)


def model_rows(objs, fields: list[str]) -> list[tuple]:
    """(attname values) of unsaved model instances, for insert_rows."""
    return [tuple(getattr(obj, name) for name in fields) for obj in objs]
