"""CSV import of value events and user signals: validated whole, then all rows post or none.

The file is stored with its ImportBatch and streamed twice (never held whole in memory):
pass 1 reads the header, counts rows and collects the codes and refs it mentions (resolved in a
few queries); pass 2 parses rows into specs and runs them through the posting engine in chunks
of CHUNK rows inside ONE DB transaction. Any error stops the writing (validation continues, so
the report lists every bad row) and rolls everything back; the batch is then `failed` and its
error report (CSV: row, column, message; row 1 is the header) can be downloaded.

Columns of an events file (header names; order free):
  kind            payment | refund (default payment)
  ref             optional: your unique reference of the row (kept as the event's
                  idempotency key: importing the same rows twice is refused)
  original_ref    refunds: the `ref` of the payment (earlier in this file or imported before)
                  or the id of a stored event
  me_code, emc_code, scenario_code, solution_code (optional), category_code
                  payments: required; refunds take them from the payment
  user_ref        pseudonymous user reference (never e-mail or phone)
  amount          decimal string in major units, e.g. 199.00 (always positive)
  currency        ISO 4217 code, e.g. CNY
  occurred_at     ISO 8601 with offset, e.g. 2025-03-01T14:30:00+08:00
  customized      true/false (default false)
  partner_codes   partner codes separated by ';' (optional)
  note            optional
Columns of a signals file: kind (rating|co_creation|story|ownership), ref, me_code, emc_code,
  scenario_code, solution_code, user_ref, occurred_at, rating, expectation, co_creation_kind,
  products_owned, related_purchase, note.
Samples: ledger/samples/value_events.csv, ledger/samples/user_signals.csv (fit the demo
ecosystem; `sample_csv` serves them with recent dates).
"""

import csv
import datetime as dt
import io
from collections import defaultdict
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.errors import ConflictError
from ledger import bulk
from ledger.models import ImportBatch, Source, UserSignal, ValueEvent
from ledger.money import currency_is_known, to_minor
from ledger.posting.engine import validate_chunk, write_chunk
from ledger.posting.specs import EVENT_KINDS, ValueEventSpec
from ledger.user_signals import UserSignalSpec, user_signals_post, user_signals_validate
from orgs.audit import audit_record
from orgs.models import EMC, Category, Microenterprise, Partner, Scenario, Solution

CHUNK = 5000  # rows per engine call: bounded memory, ~10 set-based queries per chunk
STOPPED_MESSAGE = gettext_lazy("The import stopped unexpectedly; nothing was posted. Upload the file again.")

EVENT_COLUMNS = [
    "kind",
    "ref",
    "original_ref",
    "me_code",
    "emc_code",
    "scenario_code",
    "solution_code",
    "category_code",
    "user_ref",
    "amount",
    "currency",
    "occurred_at",
    "customized",
    "partner_codes",
    "note",
]
EVENT_REQUIRED = ["user_ref", "amount", "currency", "occurred_at"]
SIGNAL_COLUMNS = [
    "kind",
    "ref",
    "me_code",
    "emc_code",
    "scenario_code",
    "solution_code",
    "user_ref",
    "occurred_at",
    "rating",
    "expectation",
    "co_creation_kind",
    "products_owned",
    "related_purchase",
    "note",
]
SIGNAL_REQUIRED = ["kind", "me_code", "emc_code", "user_ref", "occurred_at"]
# engine field -> CSV column, for the error report
FIELD_COLUMN = {
    "me": "me_code",
    "emc": "emc_code",
    "scenario": "scenario_code",
    "solution": "solution_code",
    "category": "category_code",
    "partners": "partner_codes",
    "original": "original_ref",
}
CODE_MODELS = {
    "me_code": Microenterprise,
    "emc_code": EMC,
    "scenario_code": Scenario,
    "solution_code": Solution,
    "category_code": Category,
}
TRUE, FALSE = {"true", "1", "yes", "y"}, {"false", "0", "no", "n", ""}


SAMPLES = Path(__file__).resolve().parent / "samples"
SAMPLE_FILES = {ImportBatch.Kind.EVENTS: "value_events.csv", ImportBatch.Kind.SIGNALS: "user_signals.csv"}


def sample_csv(kind: str, *, now=None) -> str:
    """A sample file with its dates moved together, by whole days, so the latest is a day ago:
    with the dates as written it would age past the back-dating window (LEDGER_BACKDATE_DAYS)
    and fail. Times of day, offsets and the order of the rows stay as written."""
    with open(SAMPLES / SAMPLE_FILES[kind], encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    moments = [dt.datetime.fromisoformat(row["occurred_at"]) for row in rows]
    shift = dt.timedelta(days=((now or timezone.now()) - dt.timedelta(days=1) - max(moments)).days)
    for row, moment in zip(rows, moments, strict=True):
        row["occurred_at"] = (moment + shift).isoformat()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


class _Failed(Exception):
    pass


def _open_rows(batch: ImportBatch):
    """Yield (line_number, row dict) streaming from the stored file; the header is line 1."""
    with batch.file.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text)
        yield 1, reader.fieldnames or []
        for row in reader:
            yield reader.line_num, row


class _Report:
    def __init__(self):
        self.rows: list[tuple[int, str, str]] = []
        self.bad_rows: set[int] = set()

    def add(self, row: int, column: str, message) -> None:
        self.rows.append((row, column, str(message)))
        self.bad_rows.add(row)

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["row", "column", "message"])
        writer.writerows(sorted(self.rows, key=lambda r: (r[0], r[1])))
        return out.getvalue()


def _datetime(value: str):
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError(_("Use ISO 8601 with a time zone offset, e.g. 2025-03-01T14:30:00+08:00."))
    if timezone.is_naive(parsed):
        raise ValueError(_("Give the time zone offset (e.g. +08:00 or Z)."))
    return parsed


def _bool(value: str, *, allow_none=False):
    v = (value or "").strip().lower()
    if allow_none and v == "":
        return None
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    raise ValueError(_("Use true or false."))


def _int(value: str):
    v = (value or "").strip()
    if v == "":
        return None
    try:
        return int(v)
    except ValueError:
        raise ValueError(_("Give a whole number.")) from None


class _Resolver:
    """Codes and refs of a whole file, resolved in a few queries after pass 1."""

    def __init__(self, kind: str, actor):
        self.kind = kind
        self.actor = actor
        self.codes: dict[str, set[str]] = defaultdict(set)
        self.refs: dict[str, int] = {}  # ref -> line
        self.duplicate_refs: set[int] = set()
        self.original_refs: set[str] = set()  # not (yet) defined in the file when referenced
        self.all_original_refs: set[str] = set()
        self.ids: dict[str, dict[str, int]] = {}
        self.used_refs: set[str] = set()
        self.stored_originals: dict[str, int] = {}

    def collect(self, line: int, row: dict) -> None:
        for column in CODE_MODELS:
            value = (row.get(column) or "").strip()
            if value:
                self.codes[column].add(value)
        for code in (row.get("partner_codes") or "").split(";"):
            if code.strip():
                self.codes["partner_codes"].add(code.strip())
        ref = (row.get("ref") or "").strip()
        if ref:
            if ref in self.refs:
                self.duplicate_refs.add(line)
            else:
                self.refs[ref] = line
        original = (row.get("original_ref") or "").strip()
        if original:
            self.all_original_refs.add(original)
            if original not in self.refs:
                self.original_refs.add(original)

    def resolve(self) -> None:
        for column, model in CODE_MODELS.items():
            self.ids[column] = dict(
                model.objects.filter(code__in=self.codes[column]).values_list("code", "id")
            )
        self.ids["partner_codes"] = dict(
            Partner.objects.filter(code__in=self.codes["partner_codes"]).values_list("code", "id")
        )
        model = ValueEvent if self.kind == ImportBatch.Kind.EVENTS else UserSignal
        refs = list(self.refs)
        for start in range(0, len(refs), CHUNK):
            self.used_refs.update(
                model.objects.filter(
                    logged_by=self.actor, idempotency_key__in=refs[start : start + CHUNK]
                ).values_list("idempotency_key", flat=True)
            )
        if self.original_refs:
            keyed = dict(
                ValueEvent.objects.filter(
                    logged_by=self.actor, idempotency_key__in=self.original_refs
                ).values_list("idempotency_key", "id")
            )
            numeric = {r for r in self.original_refs if r.isdigit() and r not in keyed}
            if numeric:
                keyed.update(
                    {
                        str(pk): pk
                        for pk in ValueEvent.objects.filter(pk__in=numeric).values_list("id", flat=True)
                    }
                )
            self.stored_originals = keyed


def _event_spec(
    line, row, res: _Resolver, report: _Report, good_index_of_line: dict, batch_id
) -> ValueEventSpec | None:
    errors_before = len(report.rows)
    kind = (row.get("kind") or "payment").strip().lower()
    if kind not in EVENT_KINDS:
        report.add(line, "kind", _("Use payment or refund."))
    for column in EVENT_REQUIRED:
        if not (row.get(column) or "").strip():
            report.add(line, column, _("This column is required."))
    ids = {}
    if kind == ValueEvent.Kind.PAYMENT:
        for column in ("me_code", "emc_code", "scenario_code", "category_code", "solution_code"):
            value = (row.get(column) or "").strip()
            if not value:
                if column != "solution_code":
                    report.add(line, column, _("This column is required."))
                continue
            ids[column] = res.ids[column].get(value)
            if ids[column] is None:
                report.add(line, column, _("Unknown code “%(code)s”.") % {"code": value})
    partner_ids = []
    for code in (row.get("partner_codes") or "").split(";"):
        code = code.strip()
        if code:
            pid = res.ids["partner_codes"].get(code)
            if pid is None:
                report.add(line, "partner_codes", _("Unknown partner “%(code)s”.") % {"code": code})
            partner_ids.append(pid)
    currency = (row.get("currency") or "").strip().upper()
    amount_minor = 0
    if currency and not currency_is_known(currency):
        report.add(line, "currency", _("Unknown currency “%(code)s”.") % {"code": currency})
    elif currency and (row.get("amount") or "").strip():
        try:
            amount_minor = to_minor(row["amount"].strip(), currency)
            if amount_minor <= 0:
                report.add(line, "amount", _("The amount must be more than zero (the kind gives the sign)."))
        except ValidationError as exc:
            report.add(line, "amount", exc.message_dict["amount"][0])
    occurred_at = None
    if (row.get("occurred_at") or "").strip():
        try:
            occurred_at = _datetime(row["occurred_at"])
        except ValueError as exc:
            report.add(line, "occurred_at", exc)
    try:
        customized = _bool(row.get("customized"))
    except ValueError as exc:
        report.add(line, "customized", exc)
        customized = False
    ref = (row.get("ref") or "").strip() or None
    if ref and line in res.duplicate_refs:
        report.add(line, "ref", _("This ref appears earlier in the file."))
    elif ref and ref in res.used_refs:
        report.add(line, "ref", _("A row with this ref was already imported."))
    original_id = original_index = None
    original = (row.get("original_ref") or "").strip()
    if kind == ValueEvent.Kind.REFUND:
        if not original:
            report.add(line, "original_ref", _("A refund needs the ref or id of its payment."))
        elif original in res.refs and res.refs[original] < line:
            original_index = good_index_of_line.get(res.refs[original])
            if original_index is None:
                report.add(
                    line,
                    "original_ref",
                    _("The payment on row %(row)d is not valid.") % {"row": res.refs[original]},
                )
        elif original in res.stored_originals:
            original_id = res.stored_originals[original]
        else:
            report.add(line, "original_ref", _("No payment with this ref or id."))
    if len(report.rows) > errors_before:
        return None
    return ValueEventSpec(
        kind=kind,
        me_id=ids.get("me_code"),
        emc_id=ids.get("emc_code"),
        scenario_id=ids.get("scenario_code"),
        solution_id=ids.get("solution_code"),
        category_id=ids.get("category_code"),
        user_ref=(row.get("user_ref") or "").strip(),
        amount_minor=amount_minor,
        currency=currency,
        occurred_at=occurred_at,
        customized=customized,
        partner_ids=tuple(partner_ids),
        original_id=original_id,
        original_index=original_index,
        note=(row.get("note") or "").strip(),
        idempotency_key=ref,
        import_batch_id=batch_id,
    )


def _signal_spec(line, row, res: _Resolver, report: _Report, batch_id) -> UserSignalSpec | None:
    errors_before = len(report.rows)
    for column in SIGNAL_REQUIRED:
        if not (row.get(column) or "").strip():
            report.add(line, column, _("This column is required."))
    ids = {}
    for column in ("me_code", "emc_code", "scenario_code", "solution_code"):
        value = (row.get(column) or "").strip()
        if value:
            ids[column] = res.ids[column].get(value)
            if ids[column] is None:
                report.add(line, column, _("Unknown code “%(code)s”.") % {"code": value})
    values = {}
    for column, parse in (
        ("occurred_at", _datetime),
        ("rating", _int),
        ("expectation", _int),
        ("products_owned", _int),
        ("related_purchase", lambda v: _bool(v, allow_none=True)),
    ):
        raw = row.get(column) or ""
        if column == "occurred_at" and not raw.strip():
            continue
        try:
            values[column] = parse(raw)
        except ValueError as exc:
            report.add(line, column, exc)
    ref = (row.get("ref") or "").strip() or None
    if ref and (line in res.duplicate_refs or ref in res.used_refs):
        report.add(line, "ref", _("This ref was already used."))
    if len(report.rows) > errors_before:
        return None
    return UserSignalSpec(
        kind=(row.get("kind") or "").strip(),
        me_id=ids.get("me_code"),
        emc_id=ids.get("emc_code"),
        scenario_id=ids.get("scenario_code"),
        solution_id=ids.get("solution_code"),
        user_ref=(row.get("user_ref") or "").strip(),
        occurred_at=values.get("occurred_at"),
        rating=values.get("rating"),
        expectation=values.get("expectation"),
        co_creation_kind=(row.get("co_creation_kind") or "").strip() or None,
        products_owned=values.get("products_owned"),
        related_purchase=values.get("related_purchase"),
        note=(row.get("note") or "").strip(),
        idempotency_key=ref,
        import_batch_id=batch_id,
    )


def _engine_errors(report: _Report, errors: dict, lines: list[int]) -> None:
    for index, fields in errors.items():
        for name, messages in fields.items():
            for message in messages:
                report.add(lines[index], FIELD_COLUMN.get(name, name), message)


def _no_progress(done: int, total: int) -> None:
    pass


@bulk.gc_paused()  # a whole file's specs, plans and legs: see bulk.gc_paused
def _run(batch: ImportBatch, actor, *, write: bool, progress=_no_progress) -> tuple[int, _Report]:
    """Validate the whole file and, when `write`, post it chunk by chunk (caller's transaction).
    `progress(rows done, rows in all)` is called once per chunk."""
    report = _Report()
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
    res = _Resolver(batch.kind, actor)
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
            _engine_errors(report, errors, chunk_lines)
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
        spec = _event_spec(line, row, res, report, good_index_of_line, batch.pk)
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
            _engine_errors(report, errors, lines)
            writing = False
        if writing:
            user_signals_post(specs=specs, actor=actor, source=Source.CSV, now=now)
        line_done(lines[-1])
        specs.clear()
        lines.clear()

    for line, row in _skip_header(_open_rows(batch)):
        spec = _signal_spec(line, row, res, report, batch.pk)
        if spec is None:
            writing = False
            continue
        specs.append(spec)
        lines.append(line)
        if len(specs) >= CHUNK:
            flush()
    if specs:
        flush()


def _finish_failed(batch: ImportBatch, actor, n_rows: int, report: _Report, *, is_new: bool) -> ImportBatch:
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


def _post(batch: ImportBatch, actor, progress=_no_progress) -> ImportBatch:
    """Validate and write the whole file in ONE DB transaction; on any error write nothing."""
    is_new = batch.pk is None
    n_rows, report = 0, _Report()
    try:
        with transaction.atomic():
            if is_new:
                batch.status = ImportBatch.Status.POSTED
                batch.save()
            n_rows, report = _run(batch, actor, write=True, progress=progress)
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
        raise ValidationError({"kind": _("Use events or signals.")})
    batch = ImportBatch(kind=kind, filename=filename[:255], status=status, created_by=actor)
    batch.file.save(filename, upload, save=False)
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


def import_batch_validate(*, batch: ImportBatch, progress=_no_progress) -> ImportBatch:
    """Validate a stored file whole without writing to the ledger: the batch ends `validated`,
    or `failed` with its error report. A saved batch (a background task's) must still be
    `validating` when the result is saved; otherwise it is returned as it is."""
    actor = batch.created_by
    # inside a transaction that is always rolled back: the engine locks the stored payments
    # that refunds reference (select_for_update needs a transaction), and a preview must never
    # leave anything behind
    with transaction.atomic():
        n_rows, report = _run(batch, actor, write=False, progress=progress)
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


def import_batch_post_now(*, batch: ImportBatch, progress=_no_progress) -> ImportBatch:
    """Post a batch that `ledger.import_jobs` marked `posting` (the background task). The batch
    stays locked while it posts, so a second delivery of the task waits, then finds it done."""
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != ImportBatch.Status.POSTING:
            return locked
        return _post(locked, locked.created_by, progress=progress)


def import_batch_fail(*, batch: ImportBatch, message) -> ImportBatch:
    """End a batch still in progress as `failed` with one message (nothing was posted); a batch
    that has finished meanwhile is left as it is."""
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status not in ImportBatch.IN_PROGRESS:
            return locked
        report = _Report()
        report.add(1, "", message)
        return _finish_failed(locked, locked.created_by, locked.rows, report, is_new=False)
