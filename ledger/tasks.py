"""Background jobs of the ledger: large CSV imports (see ledger.imports.jobs). Thin: each task
calls one service, by a stable name the services queue it under."""

from celery import shared_task

from ledger import services


@shared_task(name="ledger.import_validate", acks_late=True)
def import_validate(batch_id: int) -> str:
    """Validate a stored `validating` batch whole; it ends `validated` or `failed`."""
    return services.import_task_run(batch_id=batch_id, phase="validating")


@shared_task(name="ledger.import_post", acks_late=True)
def import_post(batch_id: int) -> str:
    """Post a `posting` batch all-or-nothing; it ends `posted` or `failed`."""
    return services.import_task_run(batch_id=batch_id, phase="posting")


@shared_task(name="ledger.import_sweep")
def import_sweep() -> int:
    """Fail imports whose task never finished (see services.imports_stale_fail)."""
    return services.imports_stale_fail()
