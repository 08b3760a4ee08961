"""Judging pages: a partner's scorecard (figures per window with trends, sparklines, the events
and ratings behind them), the comparison table of every partner's scorecard (filters, sorting,
pagination, CSV export), the proposals queue and a proposal's evidence with its decision and
appeal, the rules, and a partner user's own page. Interfaces only: selectors read, services
write, orgs.rules / judging.rules decide."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from config.exports import csv_download
from config.values import date_parse
from config.web import paginate, rule_required
from judging import scorecards, selectors, services
from judging.forms import AppealDecisionForm, AppealForm, DecisionForm, RuleForm
from judging.models import Appeal, MatrixPoint, Notice, Proposal, Rule
from judging.utility import TERMS
from ledger.money import format_minor
from orgs.filters import PartnerFilter
from orgs.forms import add_service_errors
from orgs.models import EMC, Partner, PartnerRole, PartnerTier
from orgs.selectors import partner_list, partner_of_user

EXPORT_CHUNK = 2000


def _day(request) -> tuple[dt.date | None, str]:
    """The date asked for (the latest scorecards by default) and the error of a bad one."""
    raw = request.GET.get("date")
    if not raw:
        return selectors.latest_day(), ""
    try:
        return date_parse(raw, field="date"), ""
    except ValidationError as exc:
        return None, " ".join(m for ms in exc.message_dict.values() for m in ms)


def _filtered(request):
    filterset = PartnerFilter(request.GET, queryset=partner_list())
    day, error = _day(request)
    sort = request.GET.get("sort") or "-revenue"
    if not filterset.is_valid():
        return filterset, day, sort, None, error
    rows = selectors.scorecard_table(day=day, partners=filterset.qs.values("pk"), sort=sort) if day else None
    return filterset, day, sort, rows, error


@rule_required("judging.compare")
def scorecard_list(request):
    filterset, day, sort, rows, error = _filtered(request)
    page, query = paginate(request, rows if rows is not None else [])
    return render(
        request,
        "judging/scorecard_list.html",
        {
            "filter": filterset,
            "day": day,
            "date_error": error,
            "sort": sort,
            "page": page,
            "query": query,
            "tiers": PartnerTier.objects.all(),
            "roles": PartnerRole.objects.all(),
            "emcs": EMC.objects.filter(status=EMC.Status.ACTIVE).values_list("code", "name"),
            "states": Partner.State.choices,
            "window": settings.JUDGING_HEADLINE_WINDOW,
            "sorts": selectors.SORTS,
        },
    )


@rule_required("judging.compare")
def scorecard_export(request):
    """The filtered comparison as CSV (amounts in major units of the named currency)."""
    _filterset, day, _sort, rows, _error = _filtered(request)
    header = [
        "day",
        "partner",
        "name",
        "state",
        "tier",
        "window_days",
        "currency",
        "revenue",
        "revenue_growth_pct",
        "value_added",
        "value_added_vs_baseline_pct",
        "ratings",
        "experience_margin",
        "refunds",
        "refunded",
        "refund_rate_pct",
        "co_created_solutions",
        "co_created_value_share_pct",
        "certifications",
        "resources",
        "tenure_days",
    ]

    def lines():
        yield header
        for c in rows.iterator(chunk_size=EXPORT_CHUNK) if rows is not None else ():
            yield [
                c.day,
                c.partner.code,
                c.partner.name,
                c.state,
                c.tier_code,
                c.window_days,
                c.currency,
                format_minor(c.revenue_minor, c.currency),
                c.revenue_growth_pct,
                format_minor(c.value_added_minor, c.currency),
                c.value_added_pct,
                c.ratings,
                c.margin_mean,
                c.refunds,
                format_minor(c.refund_minor, c.currency),
                c.refund_rate_pct,
                c.co_solutions,
                c.co_value_share_pct,
                c.certifications,
                c.resources,
                c.tenure_days,
            ]

    return csv_download(lines(), filename=f"scorecards-{day or 'none'}.csv", stream=True)


FIGURES = [
    # (key in a window's figures, label, kind)
    ("revenue", _("Ecosystem revenue of its events"), "money"),
    ("revenue_growth_pct", _("Growth against the previous window"), "pct"),
    ("events", _("Payments it took part in"), "count"),
    ("value_added", _("Value added (credited to it)"), "money"),
    ("value_added_pct", _("Value added against entry baseline (annualised)"), "pct"),
    ("ratings", _("Ratings on its solutions"), "count"),
    ("margin_mean", _("Experience margin (rating minus expectation, mean)"), "number"),
    ("below_expectation_pct", _("Ratings under expectation"), "pct"),
    ("refunds", _("Refunds on its events"), "count"),
    ("refund", _("Refunded"), "money"),
    ("refund_rate_pct", _("Refund rate"), "pct"),
    ("co_solutions", _("Co-created solutions"), "count"),
    ("co_value_share_pct", _("Their share of the ecosystem's value"), "pct"),
]
SPARK_LABELS = [
    ("revenue_minor", _("Ecosystem revenue")),
    ("value_added_pct", _("Value added vs baseline (%)")),
    ("margin_mean", _("Experience margin")),
    ("refund_rate_pct", _("Refund rate (%)")),
    ("co_value_share_pct", _("Co-created share (%)")),
]
TREND_OF = {
    "revenue": "revenue",
    "events": "events",
    "value_added": "value_added",
    "margin_mean": "margin_mean",
    "refund_rate_pct": "refund_rate_pct",
    "co_value_share_pct": "co_value_share_pct",
}


def _utility_context(request, partner, card) -> dict | None:
    """The utility's terms with their definitions; the co-creation graph for the company's own
    people only (a partner user sees its own figures, not which other partners it works with)."""
    found = card.figures.get("utility")
    if not found:
        return None
    terms = [
        {
            "code": code,
            "name": name,
            "unit": unit,
            "definition": definition,
            "value": found["terms"].get(code),
        }
        for code, name, unit, definition in TERMS
    ]
    graph = None
    if request.user.has_perm("judging.compare"):
        names = dict(
            Partner.objects.filter(pk__in=[n["id"] for n in found["graph"]["neighbours"]]).values_list(
                "pk", "name"
            )
        )
        nodes = [{"data": {"id": str(partner.pk), "label": partner.name, "self": 1}}]
        edges = []
        for n in found["graph"]["neighbours"]:
            nodes.append({"data": {"id": str(n["id"]), "label": names.get(n["id"], n["id"])}})
            edges.append(
                {
                    "data": {
                        "id": f"e{n['id']}",
                        "source": str(partner.pk),
                        "target": str(n["id"]),
                        "w": n["shared_events"],
                    }
                }
            )
        graph = {"nodes": nodes, "edges": edges, "degree": found["graph"]["degree"]}
    return {
        "terms": terms,
        "U": found["U"],
        "missing": found["missing"],
        "currency": found["currency"],
        "graph": graph,
    }


@login_required
def scorecard_detail(request, code):
    partner = Partner.objects.select_related("tier").filter(code=code).first()
    # another partner's scorecard is not found for a partner user: its existence is not told
    if partner is None or not request.user.has_perm("judging.view_scorecard", partner):
        raise Http404
    day, error = _day(request) if request.GET.get("date") else (None, "")
    card = None if error else selectors.scorecard(partner=partner, day=day)
    days = scorecards.windows()
    try:
        window = int(request.GET.get("window", settings.JUDGING_HEADLINE_WINDOW))
    except ValueError:
        window = settings.JUDGING_HEADLINE_WINDOW
    if window not in days:
        window = settings.JUDGING_HEADLINE_WINDOW
    context = {"partner": partner, "card": card, "windows": days, "window": window, "date_error": error}
    if card is not None:
        per_window = card.figures.get("windows", {})
        table = []
        for key, label, kind in FIGURES:
            cells = []
            for w in days:
                f = per_window.get(str(w), {})
                cells.append(
                    {
                        "value": f.get(key),
                        "trend": f.get("trends", {}).get(TREND_OF[key]) if key in TREND_OF else None,
                    }
                )
            table.append({"key": key, "label": label, "kind": kind, "cells": cells})
        chosen = per_window.get(str(window), {})
        start = dt.date.fromisoformat(chosen["start"]) if chosen else card.day
        events, _query = paginate(
            request,
            selectors.events_behind(partner=partner, start=start, end=card.day, cutoff=card.run.cutoff),
        )
        context.update(
            {
                "table": table,
                "start": start,
                "events": events,
                "query": f"window={window}" + (f"&date={card.day}" if request.GET.get("date") else ""),
                "ratings": selectors.ratings_behind(
                    partner=partner, start=start, end=card.day, cutoff=card.run.cutoff
                )[:50],
                "spark": selectors.sparklines(partner=partner, end=card.day),
                "currency": settings.SCORING_CURRENCY,
                "spark_labels": SPARK_LABELS,
                "utility": _utility_context(request, partner, card),
            }
        )
    return render(request, "judging/scorecard_detail.html", context)


# --- proposals, rules, appeals -------------------------------------------------------------------


def _proposal_or_404(request, pk) -> Proposal:
    proposal = Proposal.objects.select_related("partner", "rule", "decided_by").filter(pk=pk).first()
    # a partner user asking for another partner's proposal is told nothing of it
    if proposal is None or not request.user.has_perm("judging.view_proposal", proposal):
        raise Http404
    return proposal


@rule_required("judging.view_proposals")
def proposal_queue(request):
    status = request.GET.get("status") or "open"
    if status not in Proposal.Status.values and status != "all":
        status = "open"
    qs = Proposal.objects.select_related("partner", "rule").order_by("-day", "-id")
    if status != "all":
        qs = qs.filter(status=status)
    page, query = paginate(request, qs)
    return render(
        request,
        "judging/proposal_queue.html",
        {"page": page, "query": query, "status": status, "statuses": Proposal.Status.choices},
    )


@login_required
def proposal_detail(request, pk):
    proposal = _proposal_or_404(request, pk)
    can_decide = request.user.has_perm("judging.decide")
    forms_ = {
        "decision_form": DecisionForm(),
        "appeal_form": AppealForm(),
        "appeal_decision_form": AppealDecisionForm(),
    }
    if request.method == "POST":
        action = request.POST.get("form")
        try:
            if action == "decide" and can_decide:
                form = forms_["decision_form"] = DecisionForm(request.POST)
                if form.is_valid():
                    data = form.cleaned_data
                    if data["decision"] == "accept":
                        services.proposal_accept(proposal=proposal, actor=request.user, reason=data["reason"])
                        messages.success(request, _("Accepted: the partner's timeline shows it."))
                    else:
                        services.proposal_dismiss(
                            proposal=proposal, actor=request.user, reason=data["reason"]
                        )
                        messages.success(request, _("Dismissed."))
                    return redirect("judging:proposal-detail", pk=proposal.pk)
            elif action == "appeal" and request.user.has_perm("judging.appeal", proposal):
                form = forms_["appeal_form"] = AppealForm(request.POST)
                if form.is_valid():
                    services.appeal_file(
                        proposal=proposal, actor=request.user, text=form.cleaned_data["text"]
                    )
                    messages.success(request, _("Your appeal is filed: an admin will decide again."))
                    return redirect("judging:proposal-detail", pk=proposal.pk)
            elif action == "appeal_decide" and can_decide:
                form = forms_["appeal_decision_form"] = AppealDecisionForm(request.POST)
                if form.is_valid():
                    services.appeal_decide(proposal=proposal, actor=request.user, **form.cleaned_data)
                    messages.success(request, _("The appeal is decided."))
                    return redirect("judging:proposal-detail", pk=proposal.pk)
            else:
                raise PermissionDenied
        except ValidationError as exc:
            add_service_errors(form, exc)
        status = 400
    else:
        status = 200
    proposal.refresh_from_db()
    return render(
        request,
        "judging/proposal_detail.html",
        {
            "proposal": proposal,
            "can_decide": can_decide,
            "can_appeal": request.user.has_perm("judging.appeal", proposal)
            and proposal.status == Proposal.Status.ACCEPTED,
            "appeal": Appeal.objects.filter(proposal=proposal).first(),
            "events_url": reverse("judging:scorecard-detail", args=[proposal.partner.code])
            + f"?date={proposal.day.isoformat()}",
            **forms_,
        },
        status=status,
    )


@login_required
def partner_mine(request):
    """A partner user's own page: its notices, the proposals about it and their appeals."""
    partner = partner_of_user(user=request.user)
    if partner is None:
        raise PermissionDenied
    return render(
        request,
        "judging/partner_mine.html",
        {
            "partner": partner,
            "notices": Notice.objects.filter(partner=partner).select_related("proposal")[:50],
            "proposals": Proposal.objects.filter(partner=partner).select_related("rule")[:100],
        },
    )


@rule_required("judging.manage_rules")
def rule_list(request):
    return render(request, "judging/rule_list.html", {"rules": Rule.objects.select_related("updated_by")})


def _rule_initial(rule: Rule) -> dict:
    return {f: getattr(rule, f) for f in (*services.RULE_FIELDS, "code")}


@rule_required("judging.manage_rules")
def rule_edit(request, code=None):
    rule = None
    if code is not None:
        rule = Rule.objects.filter(code=code).first()
        if rule is None:
            raise Http404
    form = RuleForm(request.POST or None, initial=_rule_initial(rule) if rule else {"appeal_days": 14})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.rule_save(actor=request.user, rule=rule, code=data["code"], data=data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved: the rule applies from the next night."))
            return redirect("judging:rule-list")
    return render(
        request, "judging/rule_form.html", {"form": form, "rule": rule}, status=400 if form.errors else 200
    )


@rule_required("judging.compare")
def me_matrix(request):
    day, error = _day(request) if request.GET.get("date") else (None, "")
    emc = request.GET.get("emc", "")
    data = {"day": None, "points": [], "moved": []} if error else selectors.matrix(day=day, emc_code=emc)
    return render(
        request,
        "judging/matrix.html",
        {
            "data": data,
            "emc": emc,
            "emcs": EMC.objects.filter(status=EMC.Status.ACTIVE).values_list("code", "name"),
            "date_error": error,
            "quadrants": MatrixPoint.Quadrant.choices,
        },
    )
