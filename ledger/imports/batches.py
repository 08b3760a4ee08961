"""A batch's life: stored, validated, posted or failed, each step with its audit row."""

import re

from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.errors import ConflictError
from ledger.imports import run
from ledger.imports.report import Report
from ledger.imports.run import no_progress
from ledger.models import ImportBatch
from orgs.audit import audit_record

STOPPED_MESSAGE = gettext_lazy("The import stopped unexpectedly; nothing was posted. Upload the file again.")
DIED_MESSAGE = gettext_lazy(
    "The process working on this import stopped (a crash or a restart); nothing was posted. "
    "Upload the file again (the same Idempotency-Key may be used)."
)


_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def _storage_name(shown: str) -> str:
    try:
        return get_valid_filename(shown)
    except SuspiciousFileOperation:  # nothing usable left ("..", only punctuation)
        return "upload.csv"


class _Failed(Exception):
    pass


def _finish_failed(batch: ImportBatch, actor, n_rows: int, report: Report, *, is_new: bool) -> ImportBatch:
    with transaction.atomic():
        if is_new:  # its first save was rolled back with the rest
            batch.pk = None
        batch.status = ImportBatch.Status.FAILED
        batch.rows = n_rows
        batch.errors = len(report.rows)
        batch.error_report = report.csv()
        batch.posted_at = None
        batch.save()
        audit_record(
            actor=actor, action="ledger.import_failed", target=batch, changes={"errors": batch.errors}
        )
    return batch


def _post(batch: ImportBatch, actor, progress=no_progress) -> ImportBatch:
    """Validate and write the whole file in ONE DB transaction; on any error write nothing."""
    is_new = batch.pk is None
    n_rows, report = 0, Report()
    try:
        with transaction.atomic():
            if is_new:
                batch.status = ImportBatch.Status.POSTED
                batch.save()
            n_rows, report = run.file_run(batch, actor, write=True, progress=progress)
            if report.rows:
                raise _Failed
            batch.status = ImportBatch.Status.POSTED
            batch.rows = n_rows
            batch.posted_at = timezone.now()
            batch.errors = 0
            batch.error_report = ""
            batch.save()
            audit_record(actor=actor, action="ledger.import_posted", target=batch, changes={"rows": n_rows})
            return batch
    except _Failed:
        return _finish_failed(batch, actor, n_rows, report, is_new=is_new)


def _stored(*, actor, kind: str, upload, filename: str, status: str) -> ImportBatch:
    """An unsaved batch with the upload stored in MEDIA_ROOT."""
    if kind not in ImportBatch.Kind.values:
        raise ValidationError({"kind": _("Use events, signals or indicators.")})
    shown = _CONTROL_RE.sub("", filename or "").strip() or "upload.csv"
    if len(shown) > 255:
        raise ValidationError({"file": _("The file name is longer than 255 characters; rename the file.")})
    batch = ImportBatch(kind=kind, filename=shown, status=status, created_by=actor)
    batch.file.save(_storage_name(shown), upload, save=False)
    return batch


def import_batch_create(*, actor, kind: str, upload, filename: str, commit: bool = True) -> ImportBatch:
    """Store and validate an uploaded CSV whole; with `commit`, post it all-or-nothing.

    Returns the batch: `posted`, `validated` (commit=False and no errors) or `failed` with its
    row-by-row error report. Nothing reaches the ledger unless every row is valid.
    """
    batch = _stored(
        actor=actor, kind=kind, upload=upload, filename=filename, status=ImportBatch.Status.VALIDATED
    )
    if commit:
        return _post(batch, actor)
    return import_batch_validate(batch=batch)


def import_batch_store(
    *, actor, kind: str, upload, filename: str, rows: int = 0, status: str = ImportBatch.Status.VALIDATING
) -> ImportBatch:
    """Store an upload as a batch for a background task (status `validating`, or `posting` to
    validate and post it at once); `rows` is shown until validation counts them."""
    if status not in ImportBatch.IN_PROGRESS:
        raise ValueError(f"a stored batch waits for a task: {status!r}")
    batch = _stored(actor=actor, kind=kind, upload=upload, filename=filename, status=status)
    batch.rows = rows
    batch.queued_at = timezone.now()
    with transaction.atomic():
        batch.save()
        audit_record(actor=actor, action="ledger.import_queued", target=batch, changes={})
    return batch


def import_batch_validate(*, batch: ImportBatch, progress=no_progress) -> ImportBatch:
    """Validate a stored file whole without writing to the ledger: the batch ends `validated`,
    or `failed` with its error report. A saved batch (a background task's) must still be
    `validating` when the result is saved; otherwise it is returned as it is."""
    actor = batch.created_by
    # inside a transaction that is always rolled back: the engine locks the stored payments
    # that refunds reference (select_for_update needs a transaction), and a preview must never
    # leave anything behind
    with transaction.atomic():
        n_rows, report = run.file_run(batch, actor, write=False, progress=progress)
        transaction.set_rollback(True)
    with transaction.atomic():
        if batch.pk is not None:
            batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
            if batch.status != ImportBatch.Status.VALIDATING:
                return batch  # finished by another delivery of the task, or failed meanwhile
        if report.rows:
            return _finish_failed(batch, actor, n_rows, report, is_new=batch.pk is None)
        batch.rows = n_rows
        batch.status = ImportBatch.Status.VALIDATED
        batch.save()
        audit_record(actor=actor, action="ledger.import_validated", target=batch, changes={"rows": n_rows})
    return batch


def lock_for_posting(*, actor, batch: ImportBatch) -> ImportBatch:
    """Lock a batch (in the caller's transaction) that `actor` may post now, or raise 409."""
    locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != ImportBatch.Status.VALIDATED:
        raise ConflictError(
            _("Only a validated import can be posted; this one is %(s)s.")
            % {"s": locked.get_status_display()}
        )
    if locked.created_by_id != getattr(actor, "pk", None):
        raise ConflictError(_("Only the person who uploaded an import can post it."))
    return locked


def import_batch_post(*, actor, batch: ImportBatch) -> ImportBatch:
    """Post a validated batch, validating it again (the organization may have changed)."""
    with transaction.atomic():
        return _post(lock_for_posting(actor=actor, batch=batch), actor)


def import_batch_post_now(*, batch: ImportBatch, progress=no_progress) -> ImportBatch:
    """Post a batch that `ledger.import_jobs` marked `posting` (the background task). The batch
    stays locked while it posts, so a second delivery of the task waits, then finds it done."""
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != ImportBatch.Status.POSTING:
            return locked
        return _post(locked, locked.created_by, progress=progress)


DIED_COLUMN = "process"  # the report's column naming a batch stopped by its process dying


def stopped_by_crash(batch: ImportBatch) -> bool:
    """Whether a failed batch failed because its task's process died (not because of its rows)."""
    return batch.status == ImportBatch.Status.FAILED and f"1,{DIED_COLUMN}," in batch.error_report


def import_batch_fail(*, batch: ImportBatch, message, column: str = "") -> ImportBatch:
    """End a batch still in progress as `failed` with one message (nothing was posted); a batch
    that has finished meanwhile is left as it is."""
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status not in ImportBatch.IN_PROGRESS:
            return locked
        report = Report()
        report.add(1, column, message)
        return _finish_failed(locked, locked.created_by, locked.rows, report, is_new=False)
