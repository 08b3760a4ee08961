"""Background jobs of the ledger: large CSV imports (see ledger.imports.jobs)."""

import logging

from celery import shared_task

from ledger.imports import batches, jobs, progress
from ledger.models import ImportBatch

log = logging.getLogger(__name__)


def _run(batch_id: int, status: str, job, phase: str) -> str:
    batch = ImportBatch.objects.select_related("created_by").filter(pk=batch_id).first()
    if batch is None or batch.status != status:  # gone, or done by an earlier delivery
        return batch.status if batch else "missing"
    try:
        batch = job(batch=batch, progress=progress.progress_reporter(batch_id, phase))
    except Exception:
        log.exception("import %s stopped", batch_id)
        batches.import_batch_fail(batch=batch, message=batches.STOPPED_MESSAGE)
        raise
    return batch.status


@shared_task(name="ledger.import_validate", acks_late=True)
def import_validate(batch_id: int) -> str:
    """Validate a stored `validating` batch whole; it ends `validated` or `failed`."""
    return _run(batch_id, ImportBatch.Status.VALIDATING, batches.import_batch_validate, "validating")


@shared_task(name="ledger.import_post", acks_late=True)
def import_post(batch_id: int) -> str:
    """Post a `posting` batch all-or-nothing; it ends `posted` or `failed`."""
    return _run(batch_id, ImportBatch.Status.POSTING, batches.import_batch_post_now, "posting")


@shared_task(name="ledger.import_sweep")
def import_sweep() -> int:
    """Fail imports whose task never finished (see imports.jobs.stale_imports_fail)."""
    return jobs.stale_imports_fail()
