"""Partners' use of shared platform resources from a CSV (the third way in, beside the form and
the API; the same rules as `resource_use_start` / `resource_use_end`).

One line per use: `partner,resource,started_on,ended_on,note` (partner and resource by code,
ISO dates, `ended_on` empty for a use still open, exclusive otherwise). The file is checked whole
first: every error is named by its line and its field, any error refuses the file and nothing is
written. Otherwise the uses and one audit row per use are written in bulk (a fixed number of
statements whatever the number of lines). Only a partner on probation, active or on watch uses
a resource; a partner has one open use of a resource at a time and its uses of one resource do
not overlap (in the file or with the uses already recorded).
"""

import csv
import datetime as dt
import io
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from orgs.models import AuditEntry, Partner, PlatformResource, ResourceUse
from orgs.services._common import today
from orgs.services.resources import _require_manager

COLUMNS = ["partner", "resource", "started_on", "ended_on", "note"]
REQUIRED = ["partner", "resource", "started_on"]
MAX_LINES = 50_000
BATCH = 2_000
FAR = dt.date.max


class ResourceImportRefused(ValidationError):
    """The file was refused: `line_errors` maps a line number (1 = the header) to
    {field: [messages]} (the field `file` for what concerns the file as a whole)."""

    def __init__(self, line_errors: dict[int, dict[str, list[str]]]):
        self.line_errors = {n: dict(fields) for n, fields in sorted(line_errors.items())}
        super().__init__(
            [
                f"{n}: {f}: {m}"
                for n, fields in self.line_errors.items()
                for f, ms in fields.items()
                for m in ms
            ]
        )

    def as_lines(self) -> list[tuple[int, str, str]]:
        """(line, field, message) in line order, for the pages."""
        return [(n, f, m) for n, fields in self.line_errors.items() for f, ms in fields.items() for m in ms]


def _rows(text: str) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ResourceImportRefused(
            {1: {"file": [_("Missing columns: %(cols)s.") % {"cols": ", ".join(missing)}]}}
        )
    rows = []
    for number, row in enumerate(reader, start=2):
        if number > MAX_LINES + 1:
            raise ResourceImportRefused(
                {number: {"file": [_("At most %(n)s lines per file.") % {"n": MAX_LINES}]}}
            )
        values = {c: (row.get(c) or "").strip() for c in COLUMNS}
        if any(values.values()):  # blank lines are skipped
            rows.append((number, values))
    if not rows:
        raise ResourceImportRefused({1: {"file": [_("The file has no lines after its header.")]}})
    return rows


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


@transaction.atomic
def resource_uses_import_csv(*, actor, text: str, reason: str = "") -> list[ResourceUse]:
    """Record every use of the file, or nothing (ResourceImportRefused)."""
    _require_manager(actor)
    rows = _rows(text)
    errors: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    codes = {r["partner"] for _n, r in rows if r["partner"]}
    # the partners' states held until the uses are written (as resource_use_start holds one)
    partners = {p.code: p for p in Partner.objects.select_for_update().filter(code__in=codes)}
    resources = {
        r.code: r for r in PlatformResource.objects.filter(code__in={r["resource"] for _n, r in rows})
    }
    on = today()
    plans = []
    for number, row in rows:
        err = errors[number]
        partner = partners.get(row["partner"])
        if not row["partner"]:
            err["partner"].append(_("Choose a partner."))
        elif partner is None:
            err["partner"].append(_("Unknown partner “%(code)s”.") % {"code": row["partner"]})
        elif partner.state not in Partner.CREDITABLE_STATES:
            err["partner"].append(
                _("%(partner)s is %(state)s: only a partner on probation, active or on watch uses resources.")
                % {"partner": partner.name, "state": partner.get_state_display().lower()}
            )
        resource = resources.get(row["resource"])
        if not row["resource"]:
            err["resource"].append(_("Choose a platform resource."))
        elif resource is None:
            err["resource"].append(_("Unknown platform resource “%(code)s”.") % {"code": row["resource"]})
        started = _date(row["started_on"])
        if started is None:
            err["started_on"].append(_("Give a date like 2025-01-31."))
        elif started > on:
            err["started_on"].append(_("A use cannot start in the future."))
        ended = None
        if row["ended_on"]:
            ended = _date(row["ended_on"])
            if ended is None:
                err["ended_on"].append(_("Give a date like 2025-01-31, or leave it empty for an open use."))
            elif ended > on:
                err["ended_on"].append(_("A use cannot end in the future."))
            elif started is not None and ended <= started:
                err["ended_on"].append(_("A use ends after the day it started."))
        if len(row["note"]) > 255:
            err["note"].append(_("At most 255 characters."))
        if not err and partner is not None and resource is not None:
            plans.append((number, partner, resource, started, ended, row["note"]))

    # overlaps: with the other lines of the file, then with the uses already recorded (one query)
    spans: dict[tuple[int, int], list[tuple[dt.date, dt.date, int]]] = defaultdict(list)
    for number, partner, resource, started, ended, _note in plans:
        spans[(partner.pk, resource.pk)].append((started, ended or FAR, number))
    for lines in spans.values():
        lines.sort()
        for (_s1, e1, n1), (s2, _e2, n2) in pairwise(lines):
            if s2 < e1:
                errors[n2]["started_on"].append(
                    _("This use overlaps the use of line %(n)s (same partner and resource).") % {"n": n1}
                )
    recorded = defaultdict(list)
    if spans:
        for pid, rid, s, e in ResourceUse.objects.filter(
            partner_id__in={p for p, _r in spans}, resource_id__in={r for _p, r in spans}
        ).values_list("partner_id", "resource_id", "started_on", "ended_on"):
            if (pid, rid) in spans:
                recorded[(pid, rid)].append((s, e or FAR))
    for key, lines in spans.items():
        for started, ended, number in lines:
            for s, e in recorded.get(key, ()):
                if started < e and s < ended:
                    errors[number]["started_on"].append(
                        _("This use overlaps a use already recorded from %(day)s%(open)s.")
                        % {"day": s.isoformat(), "open": _(" (still open)") if e == FAR else ""}
                    )
                    break
    errors = {n: dict(fields) for n, fields in errors.items() if fields}
    if errors:
        raise ResourceImportRefused(errors)

    created_by = actor if getattr(actor, "is_authenticated", False) else None
    uses = ResourceUse.objects.bulk_create(
        [
            ResourceUse(
                partner=partner,
                resource=resource,
                started_on=started,
                ended_on=ended,
                note=note,
                created_by=created_by,
            )
            for _n, partner, resource, started, ended, note in plans
        ],
        batch_size=BATCH,
    )
    content_type = ContentType.objects.get_for_model(Partner)
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                actor=created_by,
                action="partner.resource_use_start",
                content_type=content_type,
                object_id=str(partner.pk),
                object_repr=str(partner)[:255],
                changes={
                    "resource": resource.code,
                    "started_on": started.isoformat(),
                    **({"ended_on": ended.isoformat()} if ended else {}),
                    "imported": True,
                },
                reason=reason or note or _("Imported from a CSV file."),
            )
            for _n, partner, resource, started, ended, note in plans
        ],
        batch_size=BATCH,
    )
    return uses


SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "resource_uses.csv"


def resource_uses_sample(*, on: dt.date | None = None) -> str:
    """The sample file (fit for the demo: its partners use `user-community` nowhere else), its
    dates moved together by whole days so that the latest is the day before `on` (default today)."""
    with open(SAMPLE, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    days = [dt.date.fromisoformat(r[c]) for r in rows for c in ("started_on", "ended_on") if r[c]]
    shift = (on or today()) - dt.timedelta(days=1) - max(days)
    for row in rows:
        for column in ("started_on", "ended_on"):
            if row[column]:
                row[column] = (dt.date.fromisoformat(row[column]) + shift).isoformat()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
