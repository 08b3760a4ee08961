"""The report's exports for payroll and the general ledger: the CSV (stable columns, ids,
accounting categories, amounts in major units of the report's currency; config.exports
neutralises cells), the XLSX of the same rows (openpyxl), and PDF statements per ME and per
member (reportlab). A locked report's exports are the same bytes at every download: rows in key
order, the lock time as the creation time, fixed zip dates, no random ids, no download time."""

import datetime as dt
import io
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from config.exports import PLAIN_NUMBER, safe_cell
from ledger.money import format_minor
from orgs.models import Microenterprise
from payouts.band_labels import band_label
from payouts.models import PayoutLine

COLUMNS = [
    "report_id",
    "period_kind",
    "period_start",
    "period_end",
    "currency",
    "line_key",
    "kind",
    "accounting_category",
    "emc_id",
    "emc_code",
    "me_id",
    "me_code",
    "user_id",
    "username",
    "partner_id",
    "partner_code",
    "events",
    "value",
    "accrued",
    "capped",
    "adjustment",
    "held_back",
    "release_on",
    "released",
    "carried_in",
    "carried_out",
    "coinvest",
    "coinvest_returned",
    "coinvest_forfeited",
    "payable",
    "contract_versions",
    "tier",
    "rate_pct",
    "goal",
]

CATEGORY = {
    PayoutLine.Kind.EMC: "emc_user_paid_value",
    PayoutLine.Kind.ME: "incentive_payable",
    PayoutLine.Kind.MEMBER: "member_incentive",
    PayoutLine.Kind.PARTNER: "partner_share",
    PayoutLine.Kind.PLATFORM: "platform_fee",
}
AMOUNTS = (
    "value_minor",
    "accrued_minor",
    "capped_minor",
    "adjustment_minor",
    "held_back_minor",
)
AFTER_RELEASE = (
    "released_minor",
    "carried_in_minor",
    "carried_out_minor",
    "coinvest_minor",
    "coinvest_returned_minor",
    "coinvest_forfeited_minor",
    "payable_minor",
)


def report_csv_rows(report):
    """Header, then one row per line (streamed from the database in key order, as plain values:
    no model instance per line and its four related rows, most of the export's time at the
    haier scale)."""
    period = report.period
    cur = period.currency
    yield COLUMNS
    head = [report.pk, period.kind, period.start.isoformat(), period.end.isoformat(), cur]
    names = (
        "key",
        "kind",
        "emc_id",
        "emc__code",
        "me_id",
        "me__code",
        "user_id",
        "user__" + get_user_model().USERNAME_FIELD,
        "partner_id",
        "partner__code",
        "events",
        *AMOUNTS,
        "release_on",
        *AFTER_RELEASE,
        "contract_versions",
        "tier",
        "rate_pct",
        "goal",
    )
    lines = PayoutLine.objects.filter(report=report).order_by("key").values_list(*names)
    n_amounts = len(AMOUNTS)
    for row in lines.iterator(chunk_size=2000):
        key, kind, emc_id, emc_code, me_id, me_code, user_id, username, partner_id, partner_code, events = (
            row[:11]
        )
        amounts, release_on = row[11 : 11 + n_amounts], row[11 + n_amounts]
        after = row[12 + n_amounts : 12 + n_amounts + len(AFTER_RELEASE)]
        versions, tier, rate_pct, goal = row[-4:]
        yield [
            *head,
            key,
            kind,
            CATEGORY[kind],
            emc_id,
            emc_code,
            me_id or "",
            me_code if me_id else "",
            user_id or "",
            username if user_id else "",
            partner_id or "",
            partner_code if partner_id else "",
            events,
            *(format_minor(v, cur) for v in amounts),
            release_on.isoformat() if release_on else "",
            *(format_minor(v, cur) for v in after),
            versions,
            tier,
            "" if rate_pct is None else f"{rate_pct.normalize():f}",
            goal,
        ]


# --- XLSX and PDF: the same rows, fixed metadata ----------------------------------------------

AMOUNT_COLUMNS = frozenset(
    {
        "value",
        "accrued",
        "capped",
        "adjustment",
        "held_back",
        "released",
        "carried_in",
        "carried_out",
        "coinvest",
        "coinvest_returned",
        "coinvest_forfeited",
        "payable",
        "rate_pct",
    }
)
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def export_time(report) -> dt.datetime:
    """The time an export says it was made: the lock time of a locked report (so its files are
    the same bytes at every download), else the draft's last computation; never the download time."""
    return (report.locked_at or report.computed_at or EPOCH).astimezone(dt.UTC)


class _FixedZip(zipfile.ZipFile):
    """A zip whose every member carries one fixed date (openpyxl's writes otherwise take now)."""

    def __init__(self, *args, date_time: tuple, **kwargs):
        self._date_time = date_time
        super().__init__(*args, **kwargs)

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=self._date_time)
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        with open(filename, "rb") as handle:  # write-only sheets are spooled to a file first
            self.writestr(arcname or filename, handle.read())


def _xlsx_row(header: list[str], row: list) -> list:
    out = []
    for name, value in zip(header, row, strict=True):
        if name in AMOUNT_COLUMNS and isinstance(value, str) and PLAIN_NUMBER.fullmatch(value):
            out.append(Decimal(value))  # amounts stay numbers a spreadsheet can sum
        else:
            out.append(safe_cell(value))  # text is neutralised against formulas, as in the CSV
    return out


def report_xlsx(report) -> bytes:
    """The report's lines as one XLSX sheet, the CSV's columns and rows (write-only: streamed)."""
    when = export_time(report)
    naive = when.replace(tzinfo=None)
    wb = Workbook(write_only=True)
    wb.properties.creator = "rendanheyi payouts"
    wb.properties.title = f"payout report {report.pk}"
    wb.properties.created = wb.properties.modified = naive
    ws = wb.create_sheet(title="lines")
    rows = report_csv_rows(report)
    header = next(rows)
    ws.append(header)
    for row in rows:
        ws.append(_xlsx_row(header, row))
    buffer = io.BytesIO()
    archive = _FixedZip(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True, date_time=naive.timetuple()[:6])
    ExcelWriter(wb, archive).save()
    return buffer.getvalue()


# --- PDF statements (reportlab; its CID font shows Chinese without a system font) --------------

STATEMENT_LINE_FIELDS = (
    (gettext_lazy("Attributed value"), "value_minor"),
    (gettext_lazy("Accrued"), "accrued_minor"),
    (gettext_lazy("After the cap"), "capped_minor"),
    (gettext_lazy("Prior-period adjustments"), "adjustment_minor"),
    (gettext_lazy("Held back"), "held_back_minor"),
    (gettext_lazy("Holdback released"), "released_minor"),
    (gettext_lazy("Carried in"), "carried_in_minor"),
    (gettext_lazy("Carried forward"), "carried_out_minor"),
    (gettext_lazy("Co-investment"), "coinvest_minor"),
    (gettext_lazy("Co-investment returned"), "coinvest_returned_minor"),
    (gettext_lazy("Co-investment forfeited"), "coinvest_forfeited_minor"),
    (gettext_lazy("Payable"), "payable_minor"),
)
FONT = "STSong-Light"


def statement_allowed(user, *, me=None, user_id: int | None = None) -> bool:
    """Finance and auditors (payouts.export) every statement; a person their own member
    statement; an ME's leader the ME's statement."""
    if user.has_perm("payouts.export"):
        return True
    if user_id is not None:
        return user_id == user.pk
    return me is not None and me.leader_id == user.pk


def statement_lines(report, *, me_id: int | None = None, user_id: int | None = None):
    """The lines a statement shows: an ME's lines (its ME lines and their members'), or one
    member's own lines; in key order (so the file is the same at every download)."""
    lines = PayoutLine.objects.filter(report=report).select_related("emc", "me", "user")
    if user_id is not None:
        lines = lines.filter(kind=PayoutLine.Kind.MEMBER, user_id=user_id)
    else:
        lines = lines.filter(kind__in=(PayoutLine.Kind.ME, PayoutLine.Kind.MEMBER), me_id=me_id)
    return list(lines.order_by("key"))


def _explained(line) -> list[str]:
    """How the line's figures were computed, as sentences (the explanation the page shows)."""
    ex, cur, out = line.explanation or {}, line.currency, []
    if line.kind == PayoutLine.Kind.ME:
        out.append(
            _(
                "EMC value %(v)s of target %(t)s (%(p)s%%); tier %(tier)s at %(r)s%%; contract versions %(cv)s."
            )
            % {
                "v": format_minor(ex.get("emc_value_minor", 0), cur),
                "t": format_minor(ex.get("target_minor", 0), cur),
                "p": ex.get("progress_pct", ""),
                "tier": band_label(line.tier),
                "r": "" if line.rate_pct is None else f"{line.rate_pct.normalize():f}",
                "cv": line.contract_versions or "-",
            }
        )
        for band in ex.get("bands", ()):
            out.append(
                _("%(band)s: %(v)s at %(r)s%%")
                % {
                    "band": band_label(band["band"]),
                    "v": format_minor(band["value_minor"], cur),
                    "r": band["rate_pct"],
                }
            )
        for gate in ex.get("gates", ()):
            if gate.get("met"):
                continue
            out.append(
                _("%(tier)s not applied: %(metric)s %(figure)s below its goal %(target)s.")
                % {
                    "tier": gate["tier"],
                    "metric": gate["metric"],
                    "figure": gate["figure"] or "-",
                    "target": gate["target"],
                }
            )
        if line.release_on:
            out.append(_("Holdback released on %(d)s.") % {"d": line.release_on.isoformat()})
        for adj in ex.get("adjustments", ()) or ([ex["adjustment"]] if ex.get("adjustment") else []):
            out.append(
                _("Adjustment for %(period)s: accrued %(now)s now, %(then)s when locked.")
                % {
                    "period": adj["period"],
                    "now": format_minor(adj["accrued_now_minor"], cur),
                    "then": format_minor(adj["accrued_when_locked_minor"], cur),
                }
            )
    elif line.kind == PayoutLine.Kind.MEMBER:
        out.append(
            _("Weight-days %(w)s of %(total)s of the ME's payable %(p)s.")
            % {
                "w": ex.get("weight_days", "0"),
                "total": ex.get("weight_days_total", "0"),
                "p": format_minor(ex.get("me_payable_minor", 0), cur),
            }
        )
    return out


def statement_pdf(report, lines, *, title: str) -> bytes:
    """A PDF statement of `lines`: invariant (no random id: the id is a digest of the content),
    its creation date the report's export time."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    when = export_time(report)
    stamp = when.strftime("D:%Y%m%d%H%M%S+00'00'")

    class FixedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            kwargs["invariant"] = 1
            super().__init__(*args, **kwargs)
            self.setDateFormatter(lambda *_parts: stamp)

    period = report.period
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12)
    head = ParagraphStyle("head", fontName=FONT, fontSize=14, leading=18)
    story = [
        Paragraph(escape(title), head),
        Paragraph(
            escape(
                _("Period %(start)s to %(end)s, %(cur)s; report %(id)s (%(status)s), as of %(when)s UTC.")
                % {
                    "start": period.start.isoformat(),
                    "end": period.end.isoformat(),
                    "cur": period.currency,
                    "id": report.pk,
                    "status": report.get_status_display(),
                    "when": when.strftime("%Y-%m-%d %H:%M"),
                }
            ),
            body,
        ),
        Spacer(1, 8),
    ]
    if not lines:
        story.append(Paragraph(escape(_("No line in this report.")), body))
    for line in lines:
        who = line.user.get_username() if line.user_id else line.me.code
        story.append(
            Paragraph(escape(f"{line.emc.code} · {line.me.code} · {who} ({line.get_kind_display()})"), body)
        )
        rows = [
            [str(label), format_minor(getattr(line, name), line.currency)]
            for label, name in STATEMENT_LINE_FIELDS
            if getattr(line, name) or name == "payable_minor"
        ]
        table = Table(rows, colWidths=[220, 120], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), FONT, 9),
                    ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                    ("LINEBELOW", (0, -1), (-1, -1), 0.5, colors.grey),
                ]
            )
        )
        story.append(table)
        story.extend(Paragraph(escape(text), body) for text in _explained(line))
        story.append(Spacer(1, 10))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author="rendanheyi payouts",
        creator="rendanheyi payouts",
        invariant=1,
    )
    doc.build(story, canvasmaker=FixedCanvas)
    return buffer.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_response(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_name(report, suffix: str) -> str:
    p = report.period
    return f"payouts-{report.pk}-{p.kind}-{p.start}-{p.currency}{suffix}"


def statement_file(user, report, *, me_id=None, user_id=None):
    """(filename, PDF bytes) of an ME's or a member's statement in `report`; PermissionDenied for
    a statement the user may not see, Http404 for one with no line (shared by the web and the API)."""
    me = get_object_or_404(Microenterprise, pk=me_id) if me_id is not None else None
    if not statement_allowed(user, me=me, user_id=user_id):
        raise PermissionDenied(_("You may see only your own statement."))
    lines = statement_lines(report, me_id=me_id, user_id=user_id)
    if not lines:
        raise Http404(_("There is no such statement in this report."))
    if me is not None:
        title = _("Payout statement of %(me)s") % {"me": me.code}
        suffix = f"-me-{me.pk}.pdf"
    else:
        title = _("Payout statement of %(user)s") % {"user": lines[0].user.get_username()}
        suffix = f"-member-{user_id}.pdf"
    return export_name(report, suffix), statement_pdf(report, lines, title=title)
