"""Large CSV imports run as background tasks, with progress the import page polls.

A file of more than `settings.LEDGER_IMPORT_INLINE_ROWS` rows (counted by its line breaks) is
stored with status `validating` and validated by the task `ledger.import_validate`; posting it
sets `posting` and runs `ledger.import_post` (the API may also ask for both at once: stored as
`posting`, validated and posted by `ledger.import_post`). Both tasks are safe to run twice (a redelivered
task finds the batch no longer in progress, or re-runs a posting that rolled back) and never
leave a batch in progress: an unexpected error fails it, with nothing posted. Progress (rows
done of the total, by phase) goes to the cache, which the web processes and the workers share
through Redis; without a broker the tasks run in-process and the page shows the result.
Smaller files keep the request-bound path of `ledger.imports.batches`, which is just as all-or-nothing.
"""

import datetime as dt
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from ledger.imports import batches
from ledger.imports.progress import progress_key
from ledger.models import ImportBatch

log = logging.getLogger(__name__)


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


def _send(task, batch_id: int) -> None:
    """Queue a batch's task (after the commit that stored its state). If it cannot be queued
    (the broker is down) or, run in-process, fails, the batch fails: never left in progress."""
    cache.delete(progress_key(batch_id))  # no progress left over from an earlier phase
    try:
        task.delay(batch_id)
    except Exception:
        log.exception("import %s: task %s could not run", batch_id, task.name)
        batches.import_batch_fail(batch=ImportBatch(pk=batch_id), message=batches.STOPPED_MESSAGE)


def import_start(*, actor, kind: str, upload, filename: str, commit: bool = False) -> ImportBatch:
    """Validate an upload whole (with `commit`, and post it all or nothing): within this call for
    a file of up to LEDGER_IMPORT_INLINE_ROWS rows, else queued for a task (the batch returned is
    then in progress)."""
    if runs_in_background(rows_estimate(upload)):
        return import_queue(actor=actor, kind=kind, upload=upload, filename=filename, commit=commit)
    return batches.import_batch_create(
        actor=actor, kind=kind, upload=upload, filename=filename, commit=commit
    )


def import_post_start(*, actor, batch: ImportBatch) -> ImportBatch:
    """Post a validated batch: within this call when it is small, else queued (`posting`)."""
    if runs_in_background(batch.rows):
        return import_post_queue(actor=actor, batch=batch)
    return batches.import_batch_post(actor=actor, batch=batch)


def import_queue(*, actor, kind: str, upload, filename: str, commit: bool = False) -> ImportBatch:
    """Store the file as a batch and queue its validation (`validating`), or with `commit` its
    validation and posting at once (`posting`, all rows or none); the task starts after this
    commits."""
    from ledger.tasks import import_post, import_validate

    status = ImportBatch.Status.POSTING if commit else ImportBatch.Status.VALIDATING
    task = import_post if commit else import_validate
    with transaction.atomic():
        batch = batches.import_batch_store(
            actor=actor,
            kind=kind,
            upload=upload,
            filename=filename,
            rows=rows_estimate(upload),
            status=status,
        )
        transaction.on_commit(lambda: _send(task, batch.pk))
    return batch


def import_post_queue(*, actor, batch: ImportBatch) -> ImportBatch:
    """Mark a validated batch `posting` and queue the posting (after this commits)."""
    from ledger.tasks import import_post

    with transaction.atomic():
        locked = batches.lock_for_posting(actor=actor, batch=batch)
        locked.status = ImportBatch.Status.POSTING
        locked.queued_at = timezone.now()
        locked.save(update_fields=["status", "queued_at"])
        transaction.on_commit(lambda: _send(import_post, locked.pk))
    return locked


def stale_imports_fail(*, now=None) -> int:
    """Fail the batches whose task was queued more than LEDGER_IMPORT_STALE_HOURS ago and has
    not finished: the worker died, was killed at the time limit, or never took the task. A
    posting either committed whole (then the batch is `posted`) or not at all, so nothing was
    posted for them. Returns how many were failed."""
    cutoff = (now or timezone.now()) - dt.timedelta(hours=settings.LEDGER_IMPORT_STALE_HOURS)
    stale = ImportBatch.objects.filter(status__in=ImportBatch.IN_PROGRESS, queued_at__lt=cutoff)
    failed = 0
    for batch in stale.only("pk"):
        if (
            batches.import_batch_fail(batch=batch, message=batches.STOPPED_MESSAGE).status
            == ImportBatch.Status.FAILED
        ):
            failed += 1
    return failed
