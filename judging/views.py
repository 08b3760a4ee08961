"""Judging pages: a partner's scorecard (figures per window with trends, sparklines, the events
and ratings behind them) and the comparison table of every partner's scorecard (filters, sorting,
pagination, CSV export). Interfaces only: selectors read, orgs.rules / judging.rules decide."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from config.exports import csv_download
from config.values import date_parse
from config.web import paginate, rule_required
from judging import scorecards, selectors
from ledger.money import format_minor
from orgs.filters import PartnerFilter
from orgs.models import EMC, Partner, PartnerRole, PartnerTier
from orgs.selectors import partner_list

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
            }
        )
    return render(request, "judging/scorecard_detail.html", context)
