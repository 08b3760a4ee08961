"""Pages of the Win-Win Value-Added Statement: an ME's and an EMC's statement for a period
(with CSV export), the legs and entries behind each line, the forms and CSV import of costs and
hours worked, and the matrix bands. Interfaces only: judging.statement reads, judging.entries
and judging.services write, judging.rules decides."""

import datetime as dt
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from config.exports import csv_download
from config.web import paginate, rule_required
from judging import corrections, entries, services, statement
from judging.forms import CostEntryForm, CostReverseForm, EntriesImportForm, HoursEntryForm, MatrixBandsForm
from judging.matrix import bands_on
from judging.models import CostEntry, HoursEntry, MatrixBands
from judging.periods import current_month, period_parse
from ledger.models import Source
from ledger.posting.specs import BatchValidationError
from ledger.selectors import visible_me_ids
from ledger.ui_selectors import loggable_mes
from orgs.forms import add_service_errors
from orgs.models import EMC, Microenterprise
from scoring.models import UserState

SLUG = re.compile(r"[-a-zA-Z0-9_]+")  # the statement's address takes a slug


def _period(request):
    """The period asked for (this month by default) and the refusal of a bad one."""
    raw = request.GET.get("period")
    if not raw:
        return current_month(), ""
    try:
        return period_parse(raw), ""
    except ValidationError as exc:
        return None, " ".join(m for ms in exc.message_dict.values() for m in ms)


def _subject(request, scope: str, code: str):
    """The ME or EMC, if the user may read its statement (else 404: its existence is not told)."""
    if scope == "me":
        me = Microenterprise.objects.filter(code=code).first()
        if me is None or not request.user.has_perm("judging.view_me_statement", me):
            raise Http404
        return me
    if scope != "emc" or not request.user.has_perm("judging.view_emc_statement"):
        raise Http404
    emc = EMC.objects.filter(code=code).first()
    if emc is None:
        raise Http404
    return emc


@rule_required("judging.view_statements")
def statement_home(request):
    """Choose an ME or EMC and a period; a leader or member is offered its own MEs."""
    ids = visible_me_ids(user=request.user)
    mes = Microenterprise.objects.order_by("code").only("code", "name")
    if ids is not None:
        mes = mes.filter(pk__in=ids)
    emcs = (
        EMC.objects.order_by("code").only("code", "name")
        if request.user.has_perm("judging.view_emc_statement")
        else EMC.objects.none()
    )
    scope, code = request.GET.get("scope", ""), request.GET.get("code", "")
    period, error = _period(request)
    if code and scope in ("me", "emc") and not error and SLUG.fullmatch(code):
        return redirect(reverse("judging:statement", args=[scope, code]) + f"?period={period.code}")
    page, query = paginate(request, mes)
    return render(
        request,
        "judging/statement_home.html",
        {"page": page, "query": query, "emcs": emcs[:500], "period": period, "period_error": error},
    )


def _csv_rows(data: dict):
    yield ["scope", "code", "period", "currency", "section", "line", "amount"]
    base = [data["scope"], data["code"], data["period"]["code"]]
    for cur, s in data["currencies"].items():
        for k, v in s["revenue"]["by_class"].items():
            yield [*base, cur, "revenue", f"{k} core", v["core"]]
            yield [*base, cur, "revenue", f"{k} ecosystem", v["ecosystem"]]
        yield [*base, cur, "revenue", "total", s["revenue"]["total"]]
        yield [*base, cur, "costs", "partner_shares", s["costs"]["partner_shares"]]
        yield [*base, cur, "costs", "platform_fee", s["costs"]["platform_fee"]]
        own = s["costs"]["own"]
        yield [*base, cur, "costs", "own", own["total"] if own else "no data"]
        yield [*base, cur, "marginal_income", "contribution", s["marginal_income"]["contribution"]]
        yield [
            *base,
            cur,
            "marginal_income",
            "after_own_costs",
            s["marginal_income"]["after_own_costs"] or "no data",
        ]
        for me in s["sharing"]["mes"]:
            yield [*base, cur, "sharing", f"me {me['code']}", me["amount"]]
        for p in s["sharing"]["partners"]:
            yield [*base, cur, "sharing", f"partner {p['code']}", p["amount"]]
        yield [*base, cur, "sharing", "platform", s["sharing"]["platform"]]
        yield [*base, cur, "sharing", "holdback", s["sharing"]["holdback"]]
        yield [*base, cur, "amoeba", "value_added_per_hour", s["amoeba"]["per_hour"] or "no data"]
        yield [*base, cur, "reconciliation", "events", s["reconciliation"]["events"]]
        yield [*base, cur, "reconciliation", "credited", s["reconciliation"]["credited"]]


def _nearby(period) -> list[str]:
    """Quick links: the month before, and the month, quarter and year holding the period's start
    (those that have started)."""
    start = period.start
    before = start - dt.timedelta(days=1)
    codes = [
        f"{before:%Y-%m}",
        f"{start:%Y-%m}",
        f"{start.year}-Q{(start.month - 1) // 3 + 1}",
        f"{start.year}",
    ]
    out = []
    for code in codes:
        try:
            out.append(period_parse(code).code)
        except ValidationError:
            continue
    return out


def _sections(data: dict) -> list[dict]:
    """Per currency, the statement with its class and category rows labelled for the page."""
    out = []
    for cur, s in data["currencies"].items():
        classes = [
            {"klass": k, "label": UserState.Klass(k).label, **s["revenue"]["by_class"][k]}
            for k in statement.CLASSES
        ]
        own = s["costs"]["own"]
        categories = (
            [
                {"code": c, "label": label, "amount": own["by_category"][c]}
                for c, label in CostEntry.Category.choices
            ]
            if own
            else []
        )
        out.append({"currency": cur, "s": s, "classes": classes, "categories": categories})
    return out


def _users(users: dict | None) -> list | None:
    if users is None:
        return None
    return [(UserState.Klass(k).label, users[k]) for k in statement.CLASSES[:3]]


@login_required
def statement_page(request, scope, code):
    subject = _subject(request, scope, code)
    period, error = _period(request)
    if error:
        return render(
            request,
            "judging/statement.html",
            {"scope": scope, "subject": subject, "period_error": error, "data": None},
            status=400,
        )
    data = statement.statement(scope=scope, subject=subject, period=period)
    if request.GET.get("format") == "csv":
        return csv_download(_csv_rows(data), filename=f"statement-{scope}-{code}-{period.code}.csv")
    return render(
        request,
        "judging/statement.html",
        {
            "scope": scope,
            "subject": subject,
            "period": period,
            "data": data,
            "sections": _sections(data),
            "nearby": _nearby(period),
            "users": _users(data["users"]),
            "lines_url": reverse("judging:statement-lines", args=[scope, code]),
            "entries_url": reverse("judging:statement-entries", args=[scope, code]),
            "can_log": scope == "me" and request.user.has_perm("judging.log_costs", subject),
        },
    )


@login_required
def statement_lines(request, scope, code):
    """The legs behind one line of the statement (the drill-down)."""
    subject = _subject(request, scope, code)
    period, error = _period(request)
    if error:
        raise Http404
    g = request.GET
    legs = statement.lines_behind(
        scope=scope,
        subject=subject,
        period=period,
        line=g.get("line", ""),
        currency=g.get("currency", ""),
        owner=g.get("owner", ""),
        core=g.get("core", ""),
        klass=g.get("klass", ""),
    )
    page, query = paginate(request, legs)
    return render(
        request,
        "judging/statement_lines.html",
        {
            "scope": scope,
            "subject": subject,
            "period": period,
            "page": page,
            "query": query,
            "line": g.get("line", ""),
        },
    )


@login_required
def statement_entries(request, scope, code):
    """The cost entries or hours behind the statement's own costs / the Amoeba view."""
    subject = _subject(request, scope, code)
    period, error = _period(request)
    if error:
        raise Http404
    kind = "hours" if request.GET.get("kind") == "hours" else "costs"
    rows = statement.entries_behind(
        model=HoursEntry if kind == "hours" else CostEntry, scope=scope, subject=subject, period=period
    )
    page, query = paginate(request, rows)
    return render(
        request,
        "judging/statement_entries.html",
        {
            "scope": scope,
            "subject": subject,
            "period": period,
            "page": page,
            "query": query,
            "kind": kind,
            "can_correct": kind == "costs" and request.user.has_perm("judging.correct_costs"),
        },
    )


@require_POST
@rule_required("judging.correct_costs")
def cost_entry_reverse(request, pk):
    """Reverse a mistaken cost entry with a reason (judging.corrections), then back to its list."""
    entry = get_object_or_404(CostEntry.objects.select_related("me"), pk=pk)
    form = CostReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
    else:
        try:
            corrections.cost_entry_reverse(
                actor=request.user, entry=entry, reason=form.cleaned_data["reason"], source=Source.UI
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Reversed: log the right amount as a new cost if there is one."))
    return redirect(
        reverse("judging:statement-entries", args=["me", entry.me.code])
        + f"?kind=costs&period={entry.starts_on:%Y-%m}"
    )


def _entry_spec(kind: str, data: dict):
    return entries.KINDS[kind].spec_class(**{f: data.get(f, "") for f in entries.KINDS[kind].columns})


@rule_required("judging.log_costs_any")
def entry_log(request, kind):
    """Log one cost entry or hours entry for an ME the user leads (admins: any)."""
    if kind not in ("costs", "hours"):
        raise Http404
    mes = list(loggable_mes(user=request.user).only("code", "name"))
    form_class = CostEntryForm if kind == "costs" else HoursEntryForm
    form = form_class(request.POST or None, mes=mes, initial={"me": request.GET.get("me", "")})
    if request.method == "POST" and form.is_valid():
        try:
            (made,) = entries.entries_post(
                kind=kind, specs=[_entry_spec(kind, form.cleaned_data)], actor=request.user, source=Source.UI
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Logged: the statement of its period shows it."))
            return redirect(
                reverse("judging:statement", args=["me", made.me.code]) + f"?period={made.starts_on:%Y-%m}"
            )
    return render(
        request,
        "judging/entry_form.html",
        {"form": form, "kind": kind, "import_form": EntriesImportForm(initial={"kind": kind})},
        status=400 if form.errors else 200,
    )


@rule_required("judging.log_costs_any")
def entries_import(request):
    """A CSV of costs or hours: validated whole, then every row written or none."""
    form = EntriesImportForm(request.POST or None, request.FILES or None)
    row_errors = []
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        try:
            made = entries.csv_import(kind=kind, data=form.cleaned_data["file"].read(), actor=request.user)
        except BatchValidationError as exc:
            row_errors = [
                {"row": row, "field": field, "message": " ".join(msgs)}
                for row, fields in exc.row_errors.items()
                for field, msgs in fields.items()
            ]
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Imported %(n)d rows.") % {"n": len(made)})
            return redirect("judging:statement-home")
    status = 400 if (form.errors or row_errors) else 200
    return render(
        request,
        "judging/entries_import.html",
        {"form": form, "row_errors": row_errors},
        status=status,
    )


@rule_required("judging.manage_rules")
def bands_edit(request):
    current = bands_on(None)
    form = MatrixBandsForm(request.POST or None, initial={"x_band": current[0], "y_band": current[1]})
    if request.method == "POST" and form.is_valid():
        try:
            version = services.matrix_bands_save(actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Saved: the bands apply from the night of %(day)s.") % {"day": version.effective_from},
            )
            return redirect("judging:matrix-bands")
    return render(
        request,
        "judging/bands_form.html",
        {"form": form, "versions": MatrixBands.objects.select_related("created_by")[:20], "current": current},
        status=400 if form.errors else 200,
    )
