"""Scoring pages: the Ecosystem Brand Index dashboard with drill-down to criteria and metrics,
each metric's trend and the EMCs compared, the runs with their progress, and the admin's
button to re-run a date."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from config.web import paginate, rule_required
from orgs import metric_catalog as catalog
from orgs.models import EMC
from scoring import index, launch, selectors, services
from scoring.registry import REGISTRY

TREND_DAYS = 365
COMPARE_EACH_END = 25  # EMCs compared: the best and the worst this many when there are more


def _ends(rows: list[dict]) -> tuple[list[dict], int]:
    """The EMCs with data, best first; at most the best and worst COMPARE_EACH_END of them."""
    scored = [r for r in rows if r["value"] is not None] + [r for r in rows if r["value"] is None]
    if len(scored) <= 2 * COMPARE_EACH_END:
        return scored, len(rows)
    with_data = [r for r in scored if r["value"] is not None]
    return with_data[:COMPARE_EACH_END] + with_data[-COMPARE_EACH_END:], len(rows)


class RunStartForm(forms.Form):
    run_date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    restate = forms.BooleanField(
        label=gettext_lazy(
            "Restate: recompute with a new cut-off (the earlier figures stay, marked superseded)"
        ),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


def _day(request) -> dt.date | None:
    raw = request.GET.get("date")
    if raw:
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            pass
    return selectors.latest_day()


def _metric_rows(breakdown: dict | None) -> dict:
    """The standard's tree (perspective > criterion > metric) with the day's figures."""
    tree = []
    for p in catalog.PERSPECTIVES.values():
        criteria = []
        for c in catalog.perspective_criteria(p.code):
            metrics = [
                {
                    "entry": e,
                    "spec": REGISTRY[e.code],
                    **((breakdown or {}).get("metrics", {}).get(e.code) or {"value": None, "score": None}),
                }
                for e in catalog.criterion_metrics(c.code)
            ]
            criteria.append(
                {
                    "criterion": c,
                    "value": (breakdown or {}).get("criteria", {}).get(c.code, {}).get("value"),
                    "metrics": metrics,
                }
            )
        tree.append(
            {
                "perspective": p,
                "value": (breakdown or {}).get("perspectives", {}).get(p.code, {}).get("value"),
                "criteria": criteria,
            }
        )
    return tree


@rule_required("scoring.view")
def dashboard(request):
    day = _day(request)
    breakdown = selectors.index_breakdown(day=day) if day else None
    start = day - dt.timedelta(days=TREND_DAYS) if day else None
    emcs, emc_total = _ends(selectors.emc_comparison(metric="index", day=day) if day else [])
    context = {
        "emc_total": emc_total,
        "day": day,
        "breakdown": breakdown,
        "tree": _metric_rows(breakdown),
        "index_trend": selectors.index_series(start=start, end=day) if day else {"labels": [], "series": {}},
        "classes": selectors.class_series(start=start, end=day) if day else {"labels": []},
        "emc_index": {"labels": [r["emc"] for r in emcs], "values": [r["value"] for r in emcs]},
        "emcs": emcs,
        "perspective_labels": {
            "index": _("Index"),
            "lifelong": _("Life-long"),
            "interactive": _("Interactive"),
            "transactional": _("Transactional"),
            **{p.code: str(p.name) for p in catalog.PERSPECTIVES.values()},
        },
        "failed": selectors.latest_failed_run(),
    }
    return render(request, "scoring/dashboard.html", context)


@rule_required("scoring.view")
def metric_detail(request, code):
    spec = REGISTRY.get(code)
    if spec is None:
        raise Http404
    day = _day(request)
    start = day - dt.timedelta(days=TREND_DAYS) if day else None
    snapshot = selectors.figure(metric=code, day=day) if day else None
    emcs, emc_total = _ends(
        selectors.emc_comparison(metric=code, day=day) if day and "emc" in spec.subjects else []
    )
    emc_code = request.GET.get("emc")
    emc = EMC.objects.filter(code=emc_code).first() if emc_code else None
    trend = selectors.series(metric=code, start=start, end=day)
    emc_trend = (
        selectors.series(metric=code, subject_kind="emc", subject_id=emc.pk, start=start, end=day)
        if emc
        else []
    )
    return render(
        request,
        "scoring/metric_detail.html",
        {
            "spec": spec,
            "entry": spec.entry,
            "criterion": catalog.CRITERIA.get(spec.entry.criterion),
            "perspective": catalog.PERSPECTIVES.get(spec.entry.perspective),
            "day": day,
            "snapshot": snapshot,
            "target": (index.config_from_json(snapshot.run.config)["metrics"].get(code) or {}).get("target")
            if snapshot is not None and snapshot.run.config
            else None,
            "emcs": emcs,
            "emc_total": emc_total,
            "emc": emc,
            "chart": {
                "labels": [p["day"] for p in trend],
                "value": [p["value"] for p in trend],
                "score": [p["score"] for p in trend],
                "emc_value": {p["day"]: p["value"] for p in emc_trend},
                "emc": emc.code if emc else "",
                "unit": spec.unit,
                "score_label": _("Score"),
            },
            "comparison": {"labels": [r["emc"] for r in emcs], "values": [r["value"] for r in emcs]},
        },
    )


@rule_required("scoring.view")
def run_list(request):
    page, query = paginate(request, selectors.runs(), per_page=30)
    yesterday = services.default_run_date()
    form = RunStartForm(initial={"run_date": yesterday.isoformat()})
    return render(
        request,
        "scoring/run_list.html",
        {"page": page, "query": query, "form": form, "can_run": request.user.has_perm("scoring.run")},
    )


@rule_required("scoring.run")
@require_POST
def run_start(request):
    form = RunStartForm(request.POST)
    if form.is_valid():
        try:
            run = launch.run_queue(
                actor=request.user,
                run_date=form.cleaned_data["run_date"],
                restate=form.cleaned_data["restate"],
            )
        except ValidationError as exc:
            for field, msgs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, msgs)
        else:
            messages.success(request, _("The run of %(day)s started.") % {"day": run.run_date})
            return redirect("scoring:run-detail", pk=run.pk)
    page, query = paginate(request, selectors.runs(), per_page=30)
    return render(
        request,
        "scoring/run_list.html",
        {"page": page, "query": query, "form": form, "can_run": True},
        status=400,
    )


@rule_required("scoring.view")
def run_detail(request, pk):
    run = get_object_or_404(selectors.runs(), pk=pk)
    template = "scoring/partials/run_progress.html" if request.htmx else "scoring/run_detail.html"
    return render(
        request,
        template,
        {
            "run": run,
            "progress": selectors.run_progress(run=run),
            "chunks": run.chunks.all(),
            "now": timezone.now(),
        },
    )
