"""CSV import: upload, validated whole; a preview with "Post all" or the row-by-row errors.

Files of more than settings.LEDGER_IMPORT_INLINE_ROWS rows are validated and posted by
background tasks (ledger.imports.jobs); their page shows a progress bar until they finish."""

import time

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from config.exports import csv_download, csv_rows
from config.uploads import upload_refusal
from config.web import paginate, rule_required
from ledger import selectors, services, ui_selectors
from ledger.forms import ImportUploadForm, add_service_errors
from ledger.imports import rows, samples
from ledger.imports.progress import progress_of
from ledger.models import ImportBatch


def _timing(request, verb: str, batch: ImportBatch, seconds: float) -> None:
    rate = batch.rows / seconds if seconds > 0 else 0
    messages.info(
        request,
        _("%(verb)s %(rows)s rows in %(s).2f s (%(rate)s rows/s).")
        % {"verb": verb, "rows": f"{batch.rows:,}", "s": seconds, "rate": f"{rate:,.0f}"},
    )


@rule_required("ledger.log_value_any")
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        refused = upload_refusal(request)  # skipped while it streamed in (config.uploads)
        if refused:
            form = ImportUploadForm(request.POST)
            form.is_valid()
            form.errors["file"] = form.error_class([refused])
            status = 413
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            started = time.monotonic()
            try:
                batch = services.import_start(
                    actor=request.user, kind=form.cleaned_data["kind"], upload=upload, filename=upload.name
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if batch.status not in ImportBatch.IN_PROGRESS:
                    _timing(request, _("Validated"), batch, time.monotonic() - started)
                return redirect("ledger:import-detail", pk=batch.pk)
    page, query = paginate(request, selectors.import_batches_visible(user=request.user), per_page=20)
    return render(
        request,
        "ledger/import_upload.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "event_columns": rows.EVENT_COLUMNS,
            "signal_columns": rows.SIGNAL_COLUMNS,
            "indicator_columns": rows.INDICATOR_COLUMNS,
            "samples": {k: (samples.SAMPLES / v).exists() for k, v in samples.SAMPLE_FILES.items()},
        },
        status=status,
    )


def _batch_or_404(request, pk) -> ImportBatch:
    batch = selectors.import_batches_visible(user=request.user).filter(pk=pk).first()
    if batch is None:
        raise Http404
    return batch


@rule_required("ledger.view")
def import_detail(request, pk):
    batch = services.import_batch_settle(batch=_batch_or_404(request, pk))
    errors, n_errors = ui_selectors.import_errors(batch=batch)
    preview = ui_selectors.import_preview(batch=batch) if batch.status != ImportBatch.Status.FAILED else None
    return render(
        request,
        "ledger/import_detail.html",
        {
            "batch": batch,
            "preview": preview,
            "errors": errors,
            "n_errors": n_errors,
            "can_post": batch.status == ImportBatch.Status.VALIDATED
            and batch.created_by_id == request.user.pk,
            "progress": progress_of(batch),
        },
    )


@rule_required("ledger.view")
def import_progress(request, pk):
    """The progress bar of a batch in progress (polled by htmx); once it is done, reload the page."""
    batch = _batch_or_404(request, pk)
    if batch.status not in ImportBatch.IN_PROGRESS:
        return HttpResponseClientRefresh()
    return render(
        request,
        "ledger/_import_progress.html",
        {"batch": batch, "progress": progress_of(batch)},
    )


@require_POST
@rule_required("ledger.log_value_any")
def import_post(request, pk):
    batch = _batch_or_404(request, pk)
    if batch.created_by_id != request.user.pk:
        raise PermissionDenied
    started = time.monotonic()
    try:
        batch = services.import_post_start(actor=request.user, batch=batch)
    except ValidationError as exc:  # e.g. already posted (a second click)
        messages.warning(request, " ".join(exc.messages))
        return redirect("ledger:import-detail", pk=pk)
    if batch.status == ImportBatch.Status.POSTED:
        _timing(request, _("Posted"), batch, time.monotonic() - started)
    elif batch.status == ImportBatch.Status.FAILED:  # (in progress: the page shows the progress)
        messages.error(request, _("Nothing was posted: the file no longer validates (see the errors)."))
    return redirect("ledger:import-detail", pk=batch.pk)


@rule_required("ledger.view")
def import_errors_csv(request, pk):
    batch = _batch_or_404(request, pk)
    report = csv_rows(batch.error_report or "row,column,message\n")
    return csv_download(report, filename=f"import-{batch.pk}-errors.csv")


@rule_required("ledger.view")
def import_sample(request, kind):
    if kind not in samples.SAMPLE_FILES:
        raise Http404
    sample = csv_rows(samples.sample_csv(kind))
    return csv_download(sample, filename=samples.SAMPLE_FILES[kind])
