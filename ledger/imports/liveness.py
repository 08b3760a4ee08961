"""Whether a background import is still being worked on, asked of the database itself.

While a task validates or posts a batch it holds a PostgreSQL advisory lock keyed by the batch
(`held`). The database drops that lock the moment the task's connection goes: the process
exited, crashed or was killed with `kill -9`. So a batch in progress whose lock nobody holds,
once its task has started (`started_at`, written after the lock is taken), was stopped: nothing of it was posted (a posting commits
whole or not at all). Without a broker the task starts within the request that queued it, so
START_GRACE_SECONDS after it was queued it is either held or dead; with a broker a task may wait
in the queue, so only the stale rule (LEDGER_IMPORT_STALE_HOURS) applies before it starts.

SQLite has no advisory locks: there, only the stale rule applies.
"""

import contextlib
import datetime as dt

from django.conf import settings
from django.db import connection
from django.utils import timezone

LOCK_CLASS = 7041  # the advisory lock namespace of import batches (pg_advisory_lock(int, int))
START_GRACE_SECONDS = 60


def supported() -> bool:
    return connection.vendor == "postgresql"


@contextlib.contextmanager
def held(batch_id: int):
    """Hold the batch's lock (session level) while the task works on it."""
    if not supported():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_CLASS, batch_id])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, batch_id])


def holders(batch_ids: list[int]) -> set[int]:
    """The batches among `batch_ids` whose lock a live session holds."""
    if not batch_ids or not supported():
        return set(batch_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = %s "
            "AND objsubid = 2 AND granted AND objid = ANY(%s)",
            [LOCK_CLASS, list(batch_ids)],
        )
        return {row[0] for row in cursor.fetchall()}


def dead(batches, *, now: dt.datetime | None = None) -> list[int]:
    """The ids of in-progress `batches` whose task is known to have stopped (see the module)."""
    if not supported():
        return []
    now = now or timezone.now()
    grace = now - dt.timedelta(seconds=START_GRACE_SECONDS)
    started = [
        b.pk
        for b in batches
        if b.started_at is not None  # took the lock first, then said so
        or (settings.CELERY_TASK_ALWAYS_EAGER and (b.queued_at or now) < grace)
    ]
    alive = holders(started)
    return [pk for pk in started if pk not in alive]
