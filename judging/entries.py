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
import hashlib
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.uploads import csv_field_limit_raise
from config.values import date_parse
from judging.models import CostEntry, EntryImport, HoursEntry
from judging.periods import MONTH, month_span
from ledger.money import to_minor
from ledger.posting.specs import BULK_BATCH, BatchValidationError
from orgs.currencies import currency_error
from orgs.models import AuditEntry, Membership, Microenterprise

NOT_YOURS = gettext_lazy("You may log costs and hours only for microenterprises you lead.")
HOURS_PER_DAY = 24  # the bound of an entry: 24 h a day of its span for each member then
_HOURS_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z", re.ASCII)
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


def _day(spec, name: str, e: dict) -> dt.date | None:
    value = getattr(spec, name)
    if isinstance(value, dt.date):
        return value
    try:
        return date_parse(value, field=name)
    except ValidationError as exc:
        e[name].extend(m for ms in exc.message_dict.values() for m in ms)
        return None


def _day_errors(e: dict) -> bool:
    return bool(e.get("starts_on") or e.get("ends_on"))


def _span(spec, today: dt.date, e: dict) -> tuple[dt.date, dt.date] | None:
    """The entry's days: its month, its two dates, or days inside the month it names; errors
    on `period` or the dates (days never silently give way to the month)."""
    given = [n for n in ("starts_on", "ends_on") if getattr(spec, n) not in (None, "")]
    month = None
    if spec.period:
        m = MONTH.match(str(spec.period).strip())
        if not m or not 1 <= int(m[2]) <= 12 or int(m[1]) < 1900:
            e["period"].append(_("Give a month such as 2026-11 (or the first and last day)."))
            return None
        month = month_span(dt.date(int(m[1]), int(m[2]), 1))
    if month is not None and not given:
        start, end = month
        field = "period"
    else:
        if month is None:
            for name in {"starts_on", "ends_on"} - set(given):
                e[name].append(_("Give a month (period) or the first and last day."))
        dates = {n: _day(spec, n, e) for n in given}
        if month is not None:  # a day left blank is the month's own
            dates = {"starts_on": month[0], "ends_on": month[1]} | dates
        if _day_errors(e) or None in dates.values() or len(dates) < 2:
            return None
        start, end = dates["starts_on"], dates["ends_on"]
        field = "starts_on"
        if end < start:
            e["ends_on"].append(_("The last day comes before the first."))
            return None
        if month is not None:
            for name in given:
                if not month[0] <= dates[name] <= month[1]:
                    e[name].append(
                        _("%(day)s is not in %(month)s: give days of that month, or only the month.")
                        % {"day": dates[name], "month": str(spec.period).strip()}
                    )
            if _day_errors(e):
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


def _cost_fields(s: CostSpec, e: dict) -> dict:
    """The cost's own fields (category, amount, currency), their errors into `e`."""
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
    return {"category": s.category, "amount_minor": amount, "currency": currency}


def _hours(value, e: dict) -> Decimal | None:
    """Decimal text such as 160 or 37.5 (a JSON number is as good: hours are not money); no
    exponent, more than zero, two decimals at most."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # a float written with an exponent is refused below, as in text
    text = value.strip() if isinstance(value, str) else ""
    if not _HOURS_RE.match(text):
        e["hours"].append(_("Give the hours as decimal text such as 160 or 37.5 (no exponent)."))
        return None
    hours = Decimal(text)
    if hours <= 0:
        e["hours"].append(_("Hours worked must be more than zero."))
    elif hours != hours.quantize(Decimal("0.01")):
        e["hours"].append(_("Use at most two decimal places."))
    return hours


def _headcounts(mes: dict) -> list[tuple[int, dt.date, dt.date | None]]:
    """(me id, joined on, left on) of every membership of these MEs (one query)."""
    return list(
        Membership.objects.filter(me__in=list(mes.values())).values_list("me_id", "joined_on", "left_on")
    )


def _hours_bound(me, span, memberships) -> tuple[Decimal, int]:
    """At most 24 hours a day over the span for each member the ME had in it (at least one:
    the leader)."""
    start, end = span
    people = sum(
        1
        for me_id, joined, left in memberships
        if me_id == me.pk and joined <= end and (left is None or left >= start)
    )
    people = max(people, 1)
    return Decimal(HOURS_PER_DAY * ((end - start).days + 1) * people), people


def _hours_fields(s: HoursSpec, e: dict) -> dict:
    return {"hours": _hours(s.hours, e)}


def _hours_within_bound(hours, me, span, memberships, e: dict) -> None:
    if hours is None or e.get("hours") or me is None or span is None:
        return
    bound, people = _hours_bound(me, span, memberships)
    if hours > bound:
        e["hours"].append(
            _("At most %(max)s hours: 24 a day over %(days)d days for %(n)d member(s) of %(me)s.")
            % {"max": bound, "days": (span[1] - span[0]).days + 1, "n": people, "me": me.code}
        )


@dataclass(frozen=True)
class EntryKind:
    """What differs between the two inputs; everything else (ME, span, note, writing, audit,
    CSV) is shared."""

    model: type
    spec_class: type
    columns: list[str]
    required: frozenset  # the CSV columns a header must name
    fields: object  # (spec, errors) -> the model's own fields
    action: str  # the audit action of a logged entry


KINDS = {
    "costs": EntryKind(
        CostEntry,
        CostSpec,
        COST_COLUMNS,
        frozenset({"me", "amount", "currency", "category"}),
        _cost_fields,
        "judging.cost_entry_log",
    ),
    "hours": EntryKind(
        HoursEntry,
        HoursSpec,
        HOURS_COLUMNS,
        frozenset({"me", "hours"}),
        _hours_fields,
        "judging.hours_entry_log",
    ),
}


def entries_validate(*, kind: str, specs: list, actor, today: dt.date | None = None):
    """({index: {field: [messages]}}, the rows to write); the rows are complete only when there
    are no errors."""
    spec_kind = KINDS[kind]
    today = today or timezone.localdate()
    mes, allowed = _mes(specs, actor)
    memberships = _headcounts(mes) if kind == "hours" else None  # the hours' bound
    errors, rows = defaultdict(lambda: defaultdict(list)), []
    for i, s in enumerate(specs):
        e = errors[i]
        me = _me(s, mes, allowed, e)
        span = _span(s, today, e)
        own = spec_kind.fields(s, e)
        if memberships is not None:
            _hours_within_bound(own["hours"], me, span, memberships, e)
        note = _note(s, e)
        if not e:
            rows.append(spec_kind.model(me=me, starts_on=span[0], ends_on=span[1], note=note, **own))
    return _finish(errors), rows


def cost_entries_validate(*, specs: list[CostSpec], actor, today: dt.date | None = None):
    return entries_validate(kind="costs", specs=specs, actor=actor, today=today)


def hours_entries_validate(*, specs: list[HoursSpec], actor, today: dt.date | None = None):
    return entries_validate(kind="hours", specs=specs, actor=actor, today=today)


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


def entries_post(*, kind: str, specs: list, actor, source: str) -> list:
    """Validate all, then write all or raise (field errors; by row index for several)."""
    errors, rows = entries_validate(kind=kind, specs=specs, actor=actor)
    if errors:
        _raise(errors, len(specs))
    return _write(KINDS[kind].model, rows, actor=actor, source=source, action=KINDS[kind].action)


def cost_entries_post(*, specs: list[CostSpec], actor, source: str) -> list[CostEntry]:
    return entries_post(kind="costs", specs=specs, actor=actor, source=source)


def hours_entries_post(*, specs: list[HoursSpec], actor, source: str) -> list[HoursEntry]:
    return entries_post(kind="hours", specs=specs, actor=actor, source=source)


# --- CSV ---------------------------------------------------------------------------------------


def csv_specs(*, kind: str, data: bytes) -> list:
    """The specs of an uploaded CSV (UTF-8, a header row naming the columns); a file that is
    not such a CSV raises a `file` error. Row numbers in the errors are the file's lines."""
    columns, spec_class = KINDS[kind].columns, KINDS[kind].spec_class
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": _("The file is not UTF-8 text.")}) from None
    csv_field_limit_raise()
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = sorted(KINDS[kind].required - set(header))
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


def rows_digest(*, kind: str, specs: list) -> str:
    """The sha256 of a file's rows as parsed, in any order: the same rows saved again (another
    order, line ending, byte-order mark or spacing) have the same digest."""
    columns = KINDS[kind].columns
    lines = sorted(json.dumps([str(getattr(spec, c) or "") for c in columns]) for spec in specs)
    return hashlib.sha256("\n".join([kind, *lines]).encode()).hexdigest()


def _already_imported(earlier: EntryImport) -> ValidationError:
    return ValidationError(
        {
            "file": _(
                "These %(n)d rows were already imported on %(day)s by %(user)s; nothing was written. "
                "A wrong cost is corrected by reversing it, not by importing the file again."
            )
            % {
                "n": earlier.rows,
                "day": timezone.localtime(earlier.imported_at).date().isoformat(),
                "user": earlier.imported_by.username if earlier.imported_by_id else "—",
            }
        }
    )


def csv_import(*, kind: str, data: bytes, actor) -> list:
    """Validate the whole file, then write every row or none. Raises BatchValidationError keyed
    by the file's line number (the header is line 1). Idempotent: rows already imported once
    (`rows_digest`) are refused whole with a `file` error, so a re-import never doubles them."""
    specs = csv_specs(kind=kind, data=data)
    digest = rows_digest(kind=kind, specs=specs)
    earlier = EntryImport.objects.select_related("imported_by").filter(kind=kind, digest=digest).first()
    if earlier is not None:
        raise _already_imported(earlier)
    errors, rows = entries_validate(kind=kind, specs=specs, actor=actor)
    if errors:
        raise BatchValidationError({i + 2: fields for i, fields in errors.items()})
    with transaction.atomic():
        try:
            with transaction.atomic():
                EntryImport.objects.create(
                    kind=kind,
                    digest=digest,
                    rows=len(rows),
                    imported_by=actor if actor is not None and actor.is_authenticated else None,
                    imported_at=timezone.now(),
                )
        except IntegrityError:  # the same file imported at the same moment: the other one won
            raise _already_imported(EntryImport.objects.get(kind=kind, digest=digest)) from None
        return _write(KINDS[kind].model, rows, actor=actor, source="csv", action=KINDS[kind].action)
