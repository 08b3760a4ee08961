"""The columns of an import file and each row parsed into a spec.

Columns of an events file (header names; order free):
  kind            payment | refund (default payment)
  ref             optional: your unique reference of the row (kept as the event's
                  idempotency key: importing the same rows twice is refused)
  original_ref    refunds: the `ref` of the payment (earlier in this file or imported before)
                  or the id of a stored event
  me_code, emc_code, scenario_code, solution_code (optional), category_code
                  payments: required; refunds take them from the payment
  user_ref        pseudonymous user reference (never e-mail or phone)
  amount          decimal string in major units, e.g. 199.00 (always positive; digits 0-9 and
                  a point, at most LEDGER_EVENT_MAX of its currency)
  currency        ISO 4217 code, e.g. CNY
  occurred_at     ISO 8601 with offset, e.g. 2025-03-01T14:30:00+08:00
  customized      true/false/1/0/yes/no (default false)
  partner_codes   partner codes separated by ';' (optional)
  note            optional, at most 255 characters (a longer one is refused, not cut)
Columns of a signals file: kind (rating|co_creation|story|ownership), ref, me_code, emc_code,
  scenario_code, solution_code, user_ref, occurred_at, rating, expectation, co_creation_kind,
  products_owned, related_purchase, note.
Columns of an indicators file: kind (co2e_avoided|energy_saved|units_recycled|people_served),
  ref, me_code, emc_code, on (the day, YYYY-MM-DD), quantity (0 or more, at most three
  decimals), unit (the kind's one unit: kg CO2e, kWh, units, people), note.
Samples: ledger/samples/value_events.csv, ledger/samples/user_signals.csv,
ledger/samples/purpose_indicators.csv (fit the demo
ecosystem; `sample_csv` serves them with recent dates).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from config import values
from ledger.imports.report import Report
from ledger.imports.resolve import Resolver
from ledger.models import ValueEvent
from ledger.money import to_minor
from ledger.posting.specs import EVENT_KINDS, ValueEventSpec
from ledger.purpose_indicators import PurposeIndicatorSpec
from ledger.user_signals import UserSignalSpec
from orgs.currencies import currency_error

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
INDICATOR_COLUMNS = ["kind", "ref", "me_code", "emc_code", "on", "quantity", "unit", "note"]
INDICATOR_REQUIRED = ["kind", "me_code", "emc_code", "on", "quantity", "unit"]
# each kind of file: (its columns, the required ones)
COLUMNS = {
    "events": (EVENT_COLUMNS, EVENT_REQUIRED),
    "signals": (SIGNAL_COLUMNS, SIGNAL_REQUIRED),
    "indicators": (INDICATOR_COLUMNS, INDICATOR_REQUIRED),
}
# (length, line breaks allowed) of a note, as in the API and the forms
NOTE_RULE = {
    "events": (values.TEXT_SHORT, False),
    "signals": (500, True),
    "indicators": (values.TEXT_SHORT, False),
}
# the cells are read by the one rule per kind of value (config.values), as every entry point


def _rule(parse, value, **kwargs):
    """A config.values rule on a cell: the value, or ValueError with the rule's message."""
    try:
        return parse(value, field="cell", **kwargs)
    except ValidationError as exc:
        raise ValueError(exc.message_dict["cell"][0]) from None


def parse_datetime_text(value: str):
    return _rule(values.timestamp_parse, value)


def parse_bool(value: str, *, allow_none=False):
    return _rule(values.boolean_parse, value or "", allow_none=allow_none)


def parse_int(value: str, *, min_value: int = 0, max_value: int = 100_000):
    if not (value or "").strip():
        return None
    return _rule(values.integer_parse, value, min_value=min_value, max_value=max_value)


def note_of(line, row, report: Report, kind: str) -> str:
    """The note cell, refused (never cut) past the note length of the API and the forms."""
    note = (row.get("note") or "").strip()
    max_length, multiline = NOTE_RULE[kind]
    problem = values.text_problem(note, max_length=max_length, multiline=multiline)
    if problem:
        report.add(line, "note", problem)
    return note


def _payment_codes(line, row, res: Resolver, report: Report) -> dict:
    ids = {}
    for column in ("me_code", "emc_code", "scenario_code", "category_code", "solution_code"):
        value = (row.get(column) or "").strip()
        if not value:
            if column != "solution_code":
                report.add(line, column, _("This column is required."))
            continue
        ids[column] = res.ids[column].get(value)
        if ids[column] is None:
            report.add(line, column, _("Unknown code “%(code)s”.") % {"code": value})
    return ids


def _partner_ids(line, row, res: Resolver, report: Report) -> tuple:
    partner_ids = []
    for code in (row.get("partner_codes") or "").split(";"):
        code = code.strip()
        if code:
            pid = res.ids["partner_codes"].get(code)
            if pid is None:
                report.add(line, "partner_codes", _("Unknown partner “%(code)s”.") % {"code": code})
            partner_ids.append(pid)
    return tuple(partner_ids)


def _money(line, row, report: Report) -> tuple[int, str]:
    """(amount in minor units, currency); 0 when either is missing or bad (reported)."""
    currency = (row.get("currency") or "").strip().upper()
    amount_minor = 0
    if currency and currency_error(currency):
        report.add(line, "currency", currency_error(currency))
    elif currency and (row.get("amount") or "").strip():
        try:
            amount_minor = to_minor(row["amount"].strip(), currency)
            if amount_minor <= 0:
                report.add(line, "amount", _("The amount must be more than zero (the kind gives the sign)."))
        except ValidationError as exc:
            report.add(line, "amount", exc.message_dict["amount"][0])
    return amount_minor, currency


def _when_and_customized(line, row, report: Report) -> tuple:
    occurred_at = None
    if (row.get("occurred_at") or "").strip():
        try:
            occurred_at = parse_datetime_text(row["occurred_at"])
        except ValueError as exc:
            report.add(line, "occurred_at", exc)
    try:
        customized = parse_bool(row.get("customized"))
    except ValueError as exc:
        report.add(line, "customized", exc)
        customized = False
    return occurred_at, customized


def _original(line, row, res: Resolver, report: Report, good_index_of_line: dict) -> tuple:
    """A refund's payment: (stored event id, index of a valid payment earlier in the file)."""
    original = (row.get("original_ref") or "").strip()
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
        return None, original_index
    elif original in res.stored_originals:
        return res.stored_originals[original], None
    else:
        report.add(line, "original_ref", _("No payment with this ref or id."))
    return None, None


def event_spec(
    line, row, res: Resolver, report: Report, good_index_of_line: dict, batch_id
) -> ValueEventSpec | None:
    """The row at `line` as a spec, or None with its errors in the report."""
    errors_before = len(report.rows)
    kind = (row.get("kind") or "payment").strip().lower()
    if kind not in EVENT_KINDS:
        report.add(line, "kind", _("Use payment or refund."))
    for column in EVENT_REQUIRED:
        if not (row.get(column) or "").strip():
            report.add(line, column, _("This column is required."))
    ids = _payment_codes(line, row, res, report) if kind == ValueEvent.Kind.PAYMENT else {}
    partner_ids = _partner_ids(line, row, res, report)
    amount_minor, currency = _money(line, row, report)
    occurred_at, customized = _when_and_customized(line, row, report)
    ref = (row.get("ref") or "").strip() or None
    if ref and line in res.duplicate_refs:
        report.add(line, "ref", _("This ref appears earlier in the file."))
    elif ref and ref in res.used_refs:
        report.add(line, "ref", _("A row with this ref was already imported."))
    original_id = original_index = None
    if kind == ValueEvent.Kind.REFUND:
        original_id, original_index = _original(line, row, res, report, good_index_of_line)
    note = note_of(line, row, report, "events")
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
        partner_ids=partner_ids,
        original_id=original_id,
        original_index=original_index,
        note=note,
        idempotency_key=ref,
        import_batch_id=batch_id,
    )


def signal_spec(line, row, res: Resolver, report: Report, batch_id) -> UserSignalSpec | None:
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
    parsed = {}
    for column, parse in (
        ("occurred_at", parse_datetime_text),
        ("rating", lambda v: parse_int(v, min_value=1, max_value=5)),
        ("expectation", lambda v: parse_int(v, min_value=1, max_value=5)),
        ("products_owned", parse_int),
        ("related_purchase", lambda v: parse_bool(v, allow_none=True)),
    ):
        raw = row.get(column) or ""
        if column == "occurred_at" and not raw.strip():
            continue
        try:
            parsed[column] = parse(raw)
        except ValueError as exc:
            report.add(line, column, exc)
    ref = (row.get("ref") or "").strip() or None
    if ref and (line in res.duplicate_refs or ref in res.used_refs):
        report.add(line, "ref", _("This ref was already used."))
    note = note_of(line, row, report, "signals")
    if len(report.rows) > errors_before:
        return None
    return UserSignalSpec(
        kind=(row.get("kind") or "").strip(),
        me_id=ids.get("me_code"),
        emc_id=ids.get("emc_code"),
        scenario_id=ids.get("scenario_code"),
        solution_id=ids.get("solution_code"),
        user_ref=(row.get("user_ref") or "").strip(),
        occurred_at=parsed.get("occurred_at"),
        rating=parsed.get("rating"),
        expectation=parsed.get("expectation"),
        co_creation_kind=(row.get("co_creation_kind") or "").strip() or None,
        products_owned=parsed.get("products_owned"),
        related_purchase=parsed.get("related_purchase"),
        note=note,
        idempotency_key=ref,
        import_batch_id=batch_id,
    )


def indicator_spec(line, row, res: Resolver, report: Report) -> PurposeIndicatorSpec | None:
    """One row of an indicators file as a spec, or None when a cell is refused (reported)."""
    errors_before = len(report.rows)
    ids = {}
    for column in ("me_code", "emc_code"):
        value = (row.get(column) or "").strip()
        ids[column] = res.ids[column].get(value) if value else None
        if value and ids[column] is None:
            report.add(line, column, _("Unknown code “%(code)s”.") % {"code": value})
        elif not value:
            report.add(line, column, _("Required."))
    parsed = {}
    for column, parse in (("on", values.date_parse), ("quantity", values.decimal_text_parse)):
        try:
            parsed[column] = _rule(parse, row.get(column) or "")
        except ValueError as exc:
            report.add(line, column, exc)
    ref = (row.get("ref") or "").strip() or None
    if ref and (line in res.duplicate_refs or ref in res.used_refs):
        report.add(line, "ref", _("This ref was already used."))
    note = note_of(line, row, report, "indicators")
    if len(report.rows) > errors_before:
        return None
    return PurposeIndicatorSpec(
        kind=(row.get("kind") or "").strip(),
        me_id=ids["me_code"],
        emc_id=ids["emc_code"],
        on=parsed["on"],
        quantity=parsed["quantity"],
        unit=(row.get("unit") or "").strip(),
        note=note,
        idempotency_key=ref,
    )
