"""One whole file validated, and when asked written, chunk by chunk in the caller's transaction."""

import csv
import io

from django.utils import timezone
from django.utils.translation import gettext as _

from config.uploads import csv_field_limit_raise
from config.values import text_problem
from ledger import bulk, permissions
from ledger.imports.report import Report, engine_errors
from ledger.imports.resolve import Resolver
from ledger.imports.rows import COLUMNS, event_spec, indicator_spec, signal_spec
from ledger.models import ImportBatch, Source
from ledger.posting.engine import batch_plan, batch_write
from ledger.posting.specs import ValueEventSpec
from ledger.purpose_indicators import purpose_indicators_validate, purpose_indicators_write
from ledger.user_signals import user_signals_plan, user_signals_write

CHUNK = 5000  # rows per engine call: bounded memory, ~10 set-based queries per chunk


def _open_rows(batch: ImportBatch):
    """Yield (line_number, row dict) streaming from the stored file; the header is line 1."""
    csv_field_limit_raise()
    with batch.file.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text)
        yield 1, reader.fieldnames or []
        for row in reader:
            yield reader.line_num, row


def no_progress(done: int, total: int) -> None:
    pass


CELL_MAX = 10_000  # characters in one cell: far above any column's own limit (notes: 500)
# byte-order marks of encodings that are not UTF-8: named in the message rather than misread
FOREIGN_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


def _encoding_report(batch: ImportBatch, report: Report) -> None:
    """A file in another encoding (UTF-16/32 by its byte-order mark) or full of NUL bytes (a
    binary file, or UTF-16 without a mark), refused on row 1 before any row is read."""
    with batch.file.open("rb") as raw:
        head = raw.read(64 * 1024)
    for bom, name in FOREIGN_BOMS.items():
        if head.startswith(bom):
            report.add(
                1,
                "",
                _("The file is %(encoding)s; save it as CSV UTF-8 and upload it again.") % {"encoding": name},
            )
            return
    if head.count(b"\x00") > len(head) // 100 + 1:  # a stray NUL is named on its cell instead
        report.add(1, "", _("The file contains NUL bytes: it is not a text CSV (save it as CSV UTF-8)."))


def _cells_report(line: int, row: dict, report: Report) -> bool:
    """Cells with control characters (NUL...) or longer than CELL_MAX; True when all are clean."""
    clean = True
    for column, value in row.items():
        if column is None or not isinstance(value, str):
            continue
        problem = text_problem(value, max_length=CELL_MAX, multiline=True)
        if problem:
            report.add(line, column, problem)
            clean = False
    return clean


def _header_report(batch: ImportBatch, report: Report) -> None:
    """Unknown or missing columns, reported on row 1."""
    rows = _open_rows(batch)
    try:
        _line, header = next(rows)
    except (csv.Error, UnicodeDecodeError) as exc:
        report.add(1, "", _("The file is not valid UTF-8 CSV: %(error)s") % {"error": exc})
        return
    finally:
        rows.close()  # pass 1 reopens the file
    if not _cells_report(1, {f"column {i + 1}": c for i, c in enumerate(header)}, report):
        return
    columns, required = COLUMNS[batch.kind]
    unknown = [c for c in header if c not in columns]
    missing = [c for c in required if c not in header]
    if unknown:
        report.add(
            1, ",".join(unknown), _("Unknown column(s); expected: %(cols)s.") % {"cols": ", ".join(columns)}
        )
    if missing:
        report.add(1, ",".join(missing), _("Missing required column(s)."))


def _pass_one(batch: ImportBatch, res: Resolver, report: Report) -> tuple[int, bool]:
    """Count the rows and collect their codes and refs: (rows read, whether the file read whole)."""
    n_rows = 0
    clean = True
    try:
        for line, row in _skip_header(_open_rows(batch)):
            if None in row:  # more fields than header columns
                report.add(line, "", _("This row has more fields than the header."))
            clean = _cells_report(line, row, report) and clean
            res.collect(line, row)
            n_rows += 1
    except (csv.Error, UnicodeDecodeError) as exc:
        report.add(n_rows + 2, "", _("The file is not valid UTF-8 CSV: %(error)s") % {"error": exc})
        return n_rows, False
    # a control character would reach the report (and the database) through pass 2's messages
    return n_rows, clean


@bulk.gc_paused()  # a whole file's specs, plans and legs: see bulk.gc_paused
def file_run(batch: ImportBatch, actor, *, write: bool, progress=no_progress) -> tuple[int, Report]:
    """Validate the whole file and, when `write`, post it chunk by chunk (caller's transaction).
    `progress(rows done, rows in all)` is called once per chunk."""
    report = Report()
    _encoding_report(batch, report)
    if not report.rows:
        _header_report(batch, report)
    if report.rows:
        return 0, report
    res = Resolver(batch.kind, actor)
    n_rows, readable = _pass_one(batch, res, report)
    if not readable:
        return n_rows, report
    if n_rows == 0:
        report.add(2, "", _("The file has no rows."))
        return 0, report
    res.resolve()
    writing = write and not report.rows
    progress(0, n_rows)
    passing = {
        ImportBatch.Kind.EVENTS: _EventsPass,
        ImportBatch.Kind.SIGNALS: _SignalsPass,
        ImportBatch.Kind.INDICATORS: _IndicatorsPass,
    }[batch.kind]
    passing(batch, actor, res, report, writing, lambda line: progress(line - 1, n_rows)).run()
    progress(n_rows, n_rows)
    return n_rows, report


def _skip_header(rows):
    next(rows)
    return rows


class _EventsPass:
    """Pass 2 of an events file: rows parsed into specs, planned and written CHUNK at a time.
    Planning goes on after a bad row (so the report lists every one); writing stops."""

    def __init__(self, batch, actor, res: Resolver, report: Report, writing: bool, line_done):
        self.batch, self.actor, self.res, self.report = batch, actor, res, report
        self.writing, self.line_done = writing, line_done
        self.now = timezone.now()
        self.referenced_lines = {res.refs[r] for r in res.all_original_refs if r in res.refs}
        self.good_index_of_line: dict[int, int] = {}
        self.prior: dict[int, object] = {}  # valid payments that later refunds reference
        self.posted: dict[int, int] = {}  # their event ids, once written
        self.batch_refunds: dict = {}
        self.specs: list[ValueEventSpec] = []
        self.lines: list[int] = []
        self.good = 0

    def run(self) -> None:
        for line, row in _skip_header(_open_rows(self.batch)):
            bad_before = len(self.report.rows)
            spec = event_spec(line, row, self.res, self.report, self.good_index_of_line, self.batch.pk)
            if spec is None or len(self.report.rows) > bad_before:
                self.writing = False
                continue
            self.good_index_of_line[line] = self.good
            self.specs.append(spec)
            self.lines.append(line)
            self.good += 1
            if len(self.specs) >= CHUNK:
                self.flush()
        if self.specs:
            self.flush()

    def flush(self) -> None:
        offset = self.good - len(self.specs)
        planned = batch_plan(
            self.specs,
            now=self.now,
            offset=offset,
            prior=self.prior,
            batch_refunds=self.batch_refunds,
            forget_stored=self.writing,
        )
        refused = permissions.refused_rows(actor=self.actor, specs=self.specs, mes=planned.ctx.mes)
        errors = permissions.with_refusals(planned.errors, refused)
        if errors:
            engine_errors(self.report, errors, self.lines)
            self.writing = False
        for local, plan in enumerate(planned.plans):
            if plan is not None and self.lines[local] in self.referenced_lines:
                self.prior[offset + local] = plan
        if self.writing:
            event_ids = batch_write(
                planned,
                actor=self.actor,
                source=Source.CSV,
                now=self.now,
                offset=offset,
                posted=self.posted,
                objects=False,
            )
            for local, event_id in enumerate(event_ids):
                if self.lines[local] in self.referenced_lines:
                    self.posted[offset + local] = event_id
        self.line_done(self.lines[-1])
        self.specs.clear()
        self.lines.clear()


class _SignalsPass:
    """Pass 2 of a signals file: rows parsed into specs, checked and written CHUNK at a time."""

    def __init__(self, batch, actor, res: Resolver, report: Report, writing: bool, line_done):
        self.batch, self.actor, self.res, self.report = batch, actor, res, report
        self.writing, self.line_done = writing, line_done
        self.now = timezone.now()
        self.specs: list = []
        self.lines: list[int] = []

    def run(self) -> None:
        for line, row in _skip_header(_open_rows(self.batch)):
            spec = self.spec(line, row)
            if spec is None:
                self.writing = False
                continue
            self.specs.append(spec)
            self.lines.append(line)
            if len(self.specs) >= CHUNK:
                self.flush()
        if self.specs:
            self.flush()

    def spec(self, line, row):
        return signal_spec(line, row, self.res, self.report, self.batch.pk)

    def flush(self) -> None:
        errors, ctx = user_signals_plan(specs=self.specs, now=self.now)
        refused = permissions.refused_rows(
            actor=self.actor, specs=self.specs, mes=ctx.mes, message=permissions.SIGNALS_NOT_YOURS
        )
        errors = permissions.with_refusals(errors, refused)
        if errors:
            engine_errors(self.report, errors, self.lines)
            self.writing = False
        if self.writing:
            user_signals_write(specs=self.specs, actor=self.actor, source=Source.CSV, now=self.now)
        self.line_done(self.lines[-1])
        self.specs.clear()
        self.lines.clear()


class _IndicatorsPass(_SignalsPass):
    """Pass 2 of an indicators file: rows parsed into specs, checked and written CHUNK at a time
    by the rules of `ledger.purpose_indicators` (the API's and the form's)."""

    def spec(self, line, row):
        return indicator_spec(line, row, self.res, self.report)

    def flush(self) -> None:
        errors = purpose_indicators_validate(specs=self.specs, actor=self.actor, today=self.now.date())
        if errors:
            engine_errors(self.report, errors, self.lines)
            self.writing = False
        if self.writing:
            purpose_indicators_write(specs=self.specs, actor=self.actor, source=Source.CSV, now=self.now)
        self.line_done(self.lines[-1])
        self.specs.clear()
        self.lines.clear()
