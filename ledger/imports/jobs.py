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
`ledger.services.import_start` / `import_post_start` choose between the two.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from config.celery import app as celery_app
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


# the tasks of ledger/tasks.py, addressed by their stable names: the tasks call the services,
# which start these jobs, so naming them here (not importing them) keeps the two apart
VALIDATE_TASK = "ledger.import_validate"
POST_TASK = "ledger.import_post"


def _task(name: str):
    """The registered Celery task `name` (autodiscovery registers every app's tasks module)."""
    if name not in celery_app.tasks:
        celery_app.loader.import_default_modules()
    return celery_app.tasks[name]


def _send(task_name: str, batch_id: int) -> None:
    """Queue a batch's task (after the commit that stored its state). If it cannot be queued
    (the broker is down) or, run in-process, fails, the batch fails: never left in progress."""
    cache.delete(progress_key(batch_id))  # no progress left over from an earlier phase
    try:
        _task(task_name).delay(batch_id)
    except Exception:
        log.exception("import %s: task %s could not run", batch_id, task_name)
        batches.import_batch_fail(batch=ImportBatch(pk=batch_id), message=batches.STOPPED_MESSAGE)


def import_queue(*, actor, kind: str, upload, filename: str, commit: bool = False) -> ImportBatch:
    """Store the file as a batch and queue its validation (`validating`), or with `commit` its
    validation and posting at once (`posting`, all rows or none); the task starts after this
    commits."""
    status = ImportBatch.Status.POSTING if commit else ImportBatch.Status.VALIDATING
    task = POST_TASK if commit else VALIDATE_TASK
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
    with transaction.atomic():
        locked = batches.lock_for_posting(actor=actor, batch=batch)
        locked.status = ImportBatch.Status.POSTING
        locked.queued_at = timezone.now()
        locked.save(update_fields=["status", "queued_at"])
        transaction.on_commit(lambda: _send(POST_TASK, locked.pk))
    return locked
