"""The statement's own inputs: an ME's cost entries and hours worked.

Logged like the ledger's purpose indicators (ledger/purpose_indicators.py), by the web form, the
API and a CSV import, all through the same two functions: `*_validate` checks a whole list
set-based (one query for the MEs, one rule check per distinct ME) and returns the errors by
index and field; `*_post` writes all (bulk, one audit row per entry) or raises and writes
nothing. An entry covers a span of days inside ONE calendar month (a month such as "2026-11",
or `starts_on`/`ends_on`), so every statement period holds it whole or not at all.
"""

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.uploads import csv_field_limit_raise
from config.values import date_parse
from judging.models import CostEntry, HoursEntry
from judging.periods import MONTH, month_span
from ledger.money import to_minor
from ledger.posting.specs import BULK_BATCH, BatchValidationError
from orgs.currencies import currency_error
from orgs.models import AuditEntry, Microenterprise

NOT_YOURS = gettext_lazy("You may log costs and hours only for microenterprises you lead.")
HOURS_MAX = Decimal("99999999.99")  # fits the column (10 digits, 2 decimals)
CSV_MAX_ROWS = 5000  # one file is validated and written in one transaction
COST_COLUMNS = ["me", "period", "starts_on", "ends_on", "category", "amount", "currency", "note"]
HOURS_COLUMNS = ["me", "period", "starts_on", "ends_on", "hours", "note"]


@dataclass(slots=True)
class CostSpec:
    me: str = ""  # the ME's code
    period: str = ""  # a month "2026-11", or the span below
    starts_on: object = None
    ends_on: object = None
    category: str = ""
    amount: object = None  # decimal text in major units
    currency: str = ""
    note: str = ""


@dataclass(slots=True)
class HoursSpec:
    me: str = ""
    period: str = ""
    starts_on: object = None
    ends_on: object = None
    hours: object = None
    note: str = ""


def _span(spec, today: dt.date, e: dict) -> tuple[dt.date, dt.date] | None:
    """The entry's days, from its month or its two dates; errors on `period` or the dates."""
    if spec.period:
        m = MONTH.match(str(spec.period).strip())
        if not m or not 1 <= int(m[2]) <= 12 or int(m[1]) < 1900:
            e["period"].append(_("Give a month such as 2026-11 (or the first and last day)."))
            return None
        start, end = month_span(dt.date(int(m[1]), int(m[2]), 1))
        field = "period"
    else:
        dates = {}
        for name in ("starts_on", "ends_on"):
            value = getattr(spec, name)
            if isinstance(value, dt.date):
                dates[name] = value
                continue
            if value in (None, ""):
                e[name].append(_("Give a month (period) or the first and last day."))
                continue
            try:
                dates[name] = date_parse(value, field=name)
            except ValidationError as exc:
                e[name].extend(m for ms in exc.message_dict.values() for m in ms)
        if len(dates) < 2:
            return None
        start, end = dates["starts_on"], dates["ends_on"]
        field = "starts_on"
        if end < start:
            e["ends_on"].append(_("The last day comes before the first."))
            return None
        if (start.year, start.month) != (end.year, end.month):
            e["ends_on"].append(_("An entry covers days of one month; log one entry per month."))
            return None
    if start > today:
        e[field].append(
            _("The period starting %(day)s has not started yet: log what was spent or worked.")
            % {"day": start}
        )
        return None
    return start, end


def _note(spec, e: dict) -> str:
    if spec.note is not None and not isinstance(spec.note, str):
        e["note"].append(_("Give the note as text."))
        return ""
    note = (spec.note or "").strip()
    if len(note) > 255:
        e["note"].append(_("Keep the note under 255 characters."))
    return note


def _mes(specs, actor) -> tuple[dict, dict]:
    codes = {str(s.me or "").strip() for s in specs}
    mes = {me.code: me for me in Microenterprise.objects.filter(code__in=codes)}
    allowed = {code: actor is None or actor.has_perm("ledger.log_value", me) for code, me in mes.items()}
    return mes, allowed


def _me(spec, mes, allowed, e) -> Microenterprise | None:
    me = mes.get(str(spec.me or "").strip())
    if me is None:
        e["me"].append(_("Choose a microenterprise (its code)."))
        return None
    if not allowed[me.code]:
        e["me"].append(str(NOT_YOURS))
        return None
    return me


def _finish(errors) -> dict[int, dict[str, list[str]]]:
    return {i: dict(f) for i, f in sorted(errors.items()) if f}


def cost_entries_validate(*, specs: list[CostSpec], actor, today: dt.date | None = None):
    """({index: {field: [messages]}}, the rows to write); the rows are complete only when there
    are no errors."""
    today = today or timezone.localdate()
    mes, allowed = _mes(specs, actor)
    errors, rows = defaultdict(lambda: defaultdict(list)), []
    for i, s in enumerate(specs):
        e = errors[i]
        me = _me(s, mes, allowed, e)
        span = _span(s, today, e)
        if s.category not in CostEntry.Category.values:
            e["category"].append(_("Choose one of: %(c)s.") % {"c": ", ".join(CostEntry.Category.values)})
        currency = str(s.currency or "").strip().upper()
        amount = None
        if message := currency_error(currency):
            e["currency"].append(message)
        elif s.amount in (None, ""):
            e["amount"].append(_("Give the amount, such as 1200.00."))
        else:
            try:
                amount = to_minor(s.amount, currency, field="amount")
            except ValidationError as exc:
                e["amount"].extend(m for ms in exc.message_dict.values() for m in ms)
            else:
                if amount < 0:
                    e["amount"].append(_("A cost cannot be negative."))
        note = _note(s, e)
        if not e:
            rows.append(
                CostEntry(
                    me=me,
                    starts_on=span[0],
                    ends_on=span[1],
                    category=s.category,
                    amount_minor=amount,
                    currency=currency,
                    note=note,
                )
            )
    return _finish(errors), rows


def hours_entries_validate(*, specs: list[HoursSpec], actor, today: dt.date | None = None):
    today = today or timezone.localdate()
    mes, allowed = _mes(specs, actor)
    errors, rows = defaultdict(lambda: defaultdict(list)), []
    for i, s in enumerate(specs):
        e = errors[i]
        me = _me(s, mes, allowed, e)
        span = _span(s, today, e)
        hours = None
        try:  # hours are not money: a JSON number is as good as text
            hours = None if isinstance(s.hours, bool) else Decimal(str(s.hours).strip())
        except (InvalidOperation, ValueError):
            hours = None
        if hours is None or not hours.is_finite():
            e["hours"].append(_("Give the hours as a number such as 160 or 37.5."))
        elif hours <= 0:
            e["hours"].append(_("Hours worked must be more than zero."))
        elif hours > HOURS_MAX or hours != hours.quantize(Decimal("0.01")):
            e["hours"].append(_("Use at most two decimal places and a sane number of hours."))
        note = _note(s, e)
        if not e:
            rows.append(HoursEntry(me=me, starts_on=span[0], ends_on=span[1], hours=hours, note=note))
    return _finish(errors), rows


def _raise(errors: dict, n: int):
    if n == 1:
        raise ValidationError(errors[0])
    raise BatchValidationError(errors)


def _write(model, rows: list, *, actor, source: str, action: str) -> list:
    """Bulk-insert validated rows with one audit row each, in one transaction."""
    logged_by = actor if actor is not None and actor.is_authenticated else None
    now = timezone.now()
    for row in rows:
        row.logged_by, row.logged_at, row.source = logged_by, now, source
    with transaction.atomic():
        made = model.objects.bulk_create(rows, batch_size=BULK_BATCH)
        content_type = ContentType.objects.get_for_model(model)
        AuditEntry.objects.bulk_create(
            [
                AuditEntry(
                    actor=logged_by,
                    action=action,
                    content_type=content_type,
                    object_id=str(row.pk),
                    object_repr=str(row)[:255],
                    changes=_changes(row),
                )
                for row in made
            ],
            batch_size=BULK_BATCH,
        )
    return made


def _changes(row) -> dict:
    out = {
        "me": row.me.code,
        "starts_on": str(row.starts_on),
        "ends_on": str(row.ends_on),
        "source": row.source,
    }
    if isinstance(row, CostEntry):
        out.update(category=row.category, amount_minor=row.amount_minor, currency=row.currency)
    else:
        out["hours"] = str(row.hours)
    if row.note:
        out["note"] = row.note
    return out


def cost_entries_post(*, specs: list[CostSpec], actor, source: str) -> list[CostEntry]:
    """Validate all, then write all or raise (field errors; by row index for several)."""
    errors, rows = cost_entries_validate(specs=specs, actor=actor)
    if errors:
        _raise(errors, len(specs))
    return _write(CostEntry, rows, actor=actor, source=source, action="judging.cost_entry_log")


def hours_entries_post(*, specs: list[HoursSpec], actor, source: str) -> list[HoursEntry]:
    errors, rows = hours_entries_validate(specs=specs, actor=actor)
    if errors:
        _raise(errors, len(specs))
    return _write(HoursEntry, rows, actor=actor, source=source, action="judging.hours_entry_log")


# --- CSV ---------------------------------------------------------------------------------------


def csv_specs(*, kind: str, data: bytes) -> list:
    """The specs of an uploaded CSV (UTF-8, a header row naming the columns); a file that is
    not such a CSV raises a `file` error. Row numbers in the errors are the file's lines."""
    columns, spec_class = (COST_COLUMNS, CostSpec) if kind == "costs" else (HOURS_COLUMNS, HoursSpec)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": _("The file is not UTF-8 text.")}) from None
    csv_field_limit_raise()
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    required = {"me", "amount", "currency", "category"} if kind == "costs" else {"me", "hours"}
    missing = sorted(required - set(header))
    if missing:
        raise ValidationError(
            {
                "file": _("The header lacks the columns: %(cols)s (expected %(all)s).")
                % {"cols": ", ".join(missing), "all": ",".join(columns)}
            }
        )
    unknown = sorted(set(header) - set(columns))
    if unknown:
        raise ValidationError({"file": _("Unknown columns: %(cols)s.") % {"cols": ", ".join(unknown)}})
    specs = []
    for row in reader:
        if len(specs) >= CSV_MAX_ROWS:
            raise ValidationError({"file": _("At most %(n)d rows per file.") % {"n": CSV_MAX_ROWS}})
        clean = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        specs.append(spec_class(**{c: clean.get(c, "") for c in columns}))
    if not specs:
        raise ValidationError({"file": _("The file has no rows.")})
    return specs


def csv_import(*, kind: str, data: bytes, actor) -> list:
    """Validate the whole file, then write every row or none. Raises BatchValidationError keyed
    by the file's line number (the header is line 1)."""
    specs = csv_specs(kind=kind, data=data)
    validate = cost_entries_validate if kind == "costs" else hours_entries_validate
    errors, rows = validate(specs=specs, actor=actor)
    if errors:
        raise BatchValidationError({i + 2: fields for i, fields in errors.items()})
    model, action = (
        (CostEntry, "judging.cost_entry_log") if kind == "costs" else (HoursEntry, "judging.hours_entry_log")
    )
    return _write(model, rows, actor=actor, source="csv", action=action)
