"""One whole file validated, and when asked written, chunk by chunk in the caller's transaction."""

import csv
import io

from django.utils import timezone
from django.utils.translation import gettext as _

from ledger import bulk
from ledger.imports.report import Report, engine_errors
from ledger.imports.resolve import Resolver
from ledger.imports.rows import (
    EVENT_COLUMNS,
    EVENT_REQUIRED,
    SIGNAL_COLUMNS,
    SIGNAL_REQUIRED,
    event_spec,
    signal_spec,
)
from ledger.models import ImportBatch, Source
from ledger.posting.engine import validate_chunk, write_chunk
from ledger.posting.specs import ValueEventSpec
from ledger.user_signals import user_signals_post, user_signals_validate

CHUNK = 5000  # rows per engine call: bounded memory, ~10 set-based queries per chunk


def _open_rows(batch: ImportBatch):
    """Yield (line_number, row dict) streaming from the stored file; the header is line 1."""
    with batch.file.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text)
        yield 1, reader.fieldnames or []
        for row in reader:
            yield reader.line_num, row


def no_progress(done: int, total: int) -> None:
    pass


@bulk.gc_paused()  # a whole file's specs, plans and legs: see bulk.gc_paused
def file_run(batch: ImportBatch, actor, *, write: bool, progress=no_progress) -> tuple[int, Report]:
    """Validate the whole file and, when `write`, post it chunk by chunk (caller's transaction).
    `progress(rows done, rows in all)` is called once per chunk."""
    report = Report()
    rows = _open_rows(batch)
    _line, header = next(rows)
    rows.close()  # pass 1 reopens the file below
    columns = EVENT_COLUMNS if batch.kind == ImportBatch.Kind.EVENTS else SIGNAL_COLUMNS
    required = EVENT_REQUIRED if batch.kind == ImportBatch.Kind.EVENTS else SIGNAL_REQUIRED
    unknown = [c for c in header if c not in columns]
    missing = [c for c in required if c not in header]
    if unknown:
        report.add(
            1, ",".join(unknown), _("Unknown column(s); expected: %(cols)s.") % {"cols": ", ".join(columns)}
        )
    if missing:
        report.add(1, ",".join(missing), _("Missing required column(s)."))
    if report.rows:
        return 0, report
    res = Resolver(batch.kind, actor)
    n_rows = 0
    try:
        for line, row in _skip_header(_open_rows(batch)):
            if None in row:  # more fields than header columns
                report.add(line, "", _("This row has more fields than the header."))
            res.collect(line, row)
            n_rows += 1
    except (csv.Error, UnicodeDecodeError) as exc:
        report.add(n_rows + 2, "", _("The file is not valid UTF-8 CSV: %(error)s") % {"error": exc})
        return n_rows, report
    if n_rows == 0:
        report.add(2, "", _("The file has no rows."))
        return 0, report
    res.resolve()
    now = timezone.now()
    writing = write and not report.rows
    progress(0, n_rows)
    if batch.kind == ImportBatch.Kind.SIGNALS:
        _run_signals(batch, actor, res, report, now, writing, lambda line: progress(line - 1, n_rows))
        progress(n_rows, n_rows)
        return n_rows, report

    referenced_lines = {res.refs[r] for r in res.all_original_refs if r in res.refs}
    good_index_of_line: dict[int, int] = {}
    prior: dict[int, object] = {}
    posted: dict[int, int] = {}
    batch_refunds: dict = {}
    chunk_specs: list[ValueEventSpec] = []
    chunk_lines: list[int] = []
    good = 0

    def flush():
        nonlocal writing
        offset = good - len(chunk_specs)
        plans, errors, ctx = validate_chunk(
            chunk_specs,
            actor,
            now,
            offset=offset,
            prior=prior,
            batch_refunds=batch_refunds,
            keep_db=not writing,
        )
        if errors:
            engine_errors(report, errors, chunk_lines)
            writing = False
        for local, plan in enumerate(plans):
            if plan is not None and chunk_lines[local] in referenced_lines:
                prior[offset + local] = plan
        if writing:
            event_ids = write_chunk(
                plans, ctx, actor=actor, source=Source.CSV, now=now, offset=offset, posted=posted
            )
            for local, event_id in enumerate(event_ids):
                if chunk_lines[local] in referenced_lines:
                    posted[offset + local] = event_id
        progress(chunk_lines[-1] - 1, n_rows)
        chunk_specs.clear()
        chunk_lines.clear()

    for line, row in _skip_header(_open_rows(batch)):
        bad_before = len(report.rows)
        spec = event_spec(line, row, res, report, good_index_of_line, batch.pk)
        if spec is None or len(report.rows) > bad_before:
            writing = False
            continue
        good_index_of_line[line] = good
        chunk_specs.append(spec)
        chunk_lines.append(line)
        good += 1
        if len(chunk_specs) >= CHUNK:
            flush()
    if chunk_specs:
        flush()
    progress(n_rows, n_rows)
    return n_rows, report


def _skip_header(rows):
    next(rows)
    return rows


def _run_signals(batch, actor, res, report, now, writing, line_done) -> None:
    specs, lines = [], []

    def flush():
        nonlocal writing
        errors = user_signals_validate(specs=specs, actor=actor, now=now)
        if errors:
            engine_errors(report, errors, lines)
            writing = False
        if writing:
            user_signals_post(specs=specs, actor=actor, source=Source.CSV, now=now)
        line_done(lines[-1])
        specs.clear()
        lines.clear()

    for line, row in _skip_header(_open_rows(batch)):
        spec = signal_spec(line, row, res, report, batch.pk)
        if spec is None:
            writing = False
            continue
        specs.append(spec)
        lines.append(line)
        if len(specs) >= CHUNK:
            flush()
    if specs:
        flush()
