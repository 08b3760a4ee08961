"""Large CSV imports run as background tasks, with progress the import page polls.

A file of more than `settings.LEDGER_IMPORT_INLINE_ROWS` rows (counted by its line breaks) is
stored with status `validating` and validated by the task `ledger.import_validate`; posting it
sets `posting` and runs `ledger.import_post`. Both tasks are safe to run twice (a redelivered
task finds the batch no longer in progress, or re-runs a posting that rolled back) and never
leave a batch in progress: an unexpected error fails it, with nothing posted. Progress (rows
done of the total, by phase) goes to the cache, which the web processes and the workers share
through Redis; without a broker the tasks run in-process and the page shows the result.
Smaller files keep the request-bound path of `ledger.importing`, which is just as all-or-nothing.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from ledger import importing
from ledger.models import ImportBatch

PROGRESS_TTL = 6 * 3600


def rows_estimate(upload) -> int:
    """Data rows of an uploaded CSV by its line breaks (quoted line breaks may overcount)."""
    lines = 0
    last = b"\n"
    for chunk in upload.chunks():
        lines += chunk.count(b"\n")
        last = chunk[-1:] or last
    upload.seek(0)
    lines += last != b"\n"  # a last line without a line break
    return max(lines - 1, 0)


def runs_in_background(rows: int) -> bool:
    return rows > settings.LEDGER_IMPORT_INLINE_ROWS


def _key(batch_id: int) -> str:
    return f"ledger:import:{batch_id}:progress"


def progress_reporter(batch_id: int, phase: str):
    """A callback for the import engine: (rows done, rows in all) -> the cache."""

    def report(done: int, total: int) -> None:
        cache.set(_key(batch_id), {"phase": phase, "done": done, "total": total}, PROGRESS_TTL)

    return report


def progress_get(batch_id: int) -> dict | None:
    """{"phase", "done", "total", "percent"} of a batch in progress, or None before it starts."""
    state = cache.get(_key(batch_id))
    if state:
        state["percent"] = round(100 * state["done"] / state["total"]) if state["total"] else 0
    return state


def import_validate_queue(*, actor, kind: str, upload, filename: str) -> ImportBatch:
    """Store the file as a `validating` batch and queue its validation (after this commits)."""
    from ledger.tasks import import_validate

    with transaction.atomic():
        batch = importing.import_batch_store(
            actor=actor, kind=kind, upload=upload, filename=filename, rows=rows_estimate(upload)
        )
        transaction.on_commit(lambda: import_validate.delay(batch.pk))
    return batch


def import_post_queue(*, actor, batch: ImportBatch) -> ImportBatch:
    """Mark a validated batch `posting` and queue the posting (after this commits)."""
    from ledger.tasks import import_post

    with transaction.atomic():
        locked = importing.lock_for_posting(actor=actor, batch=batch)
        locked.status = ImportBatch.Status.POSTING
        locked.save(update_fields=["status"])
        transaction.on_commit(lambda: import_post.delay(locked.pk))
    return locked
