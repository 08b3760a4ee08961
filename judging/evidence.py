"""A proposal's evidence as a labelled table (registered with orgs.evidence, so the proposal page
and the partner's timeline show the same): the rule's figure night by night with the nights that
crossed its threshold marked, the window, the threshold, and a link to the events behind them."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from judging.models import Rule
from ledger.ui_selectors import money_text

PERCENT_FIGURES = {"revenue_growth_pct", "value_added_pct", "refund_rate_pct", "co_value_share_pct"}


def _columns():
    return [
        ("revenue_minor", _("Ecosystem revenue")),
        ("revenue_growth_pct", _("Revenue growth")),
        ("value_added_pct", _("Value added vs baseline")),
        ("margin_mean", _("Experience margin")),
        ("refund_rate_pct", _("Refund rate")),
    ]


def _number(value) -> Decimal | None:
    try:
        return None if value in (None, "") else Decimal(str(value))
    except InvalidOperation:
        return None


def figure_text(key: str, value, currency: str) -> str:
    """One figure for a person: money in major units with its currency, shares as percentages."""
    number = _number(value)
    if number is None:
        return "—"
    if key == "revenue_minor":
        return money_text(int(number), currency)
    text = f"{number:f}"
    return f"{text}%" if key in PERCENT_FIGURES else text


def _crossed(value, comparison: str, threshold: Decimal | None) -> bool:
    number = _number(value)
    if number is None or threshold is None:
        return False
    return number > threshold if comparison == Rule.Comparison.ABOVE else number < threshold


def _date(text) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except (TypeError, ValueError):
        return "—"


def _span(start, end) -> str:
    return _("%(start)s to %(end)s") % {"start": _date(start), "end": _date(end)}


def proposal_evidence_display(data: dict, *, partner=None) -> dict | None:
    """The display of judging's proposal evidence (see judging.proposals); None for another shape."""
    if not {"rule", "metric", "comparison", "threshold", "nights"} <= data.keys():
        return None
    currency = settings.SCORING_CURRENCY
    metric, comparison = data["metric"], data["comparison"]
    threshold = _number(data["threshold"])
    metric_label = dict(Rule.Metric.choices).get(metric, metric)
    comparison_label = dict(Rule.Comparison.choices).get(comparison, comparison)
    window = data.get("figure_window_days")
    summary = [
        (_("Figure checked"), str(metric_label)),
        (_("Threshold"), f"{comparison_label} {figure_text(metric, data['threshold'], currency)}"),
        (_("Nights in a row"), str(data.get("sustained_days", "—"))),
        (_("Window of each figure"), _("%(days)s days") % {"days": window} if window else "—"),
        (_("Nights"), _span(data.get("from"), data.get("to"))),
        (_("Events behind them"), _span(data.get("events_from"), data.get("to"))),
    ]
    if data.get("min_ratings"):
        summary.insert(3, (_("Minimum ratings in the window"), str(data["min_ratings"])))
    columns = _columns()
    rows = []
    for night in data.get("nights") or []:
        cells = [{"text": _date(night.get("day")), "mark": False}]
        for key, _label in columns:
            value = night.get(key)
            cells.append(
                {
                    "text": figure_text(key, value, currency),
                    "mark": key == metric and _crossed(value, comparison, threshold),
                }
            )
        rows.append(cells)
    link = None
    if partner is not None and data.get("to"):
        query = f"?date={_date(data['to'])}" + (f"&window={window}" if window else "")
        link = {
            "url": reverse("judging:scorecard-detail", args=[partner.code]) + query,
            "label": _("The scorecard of %(day)s and the events behind it") % {"day": _date(data["to"])},
        }
    return {
        "title": _("Rule “%(rule)s”") % {"rule": data.get("rule_name") or data["rule"]},
        "summary": summary,
        "columns": [_("Night"), *[label for _key, label in columns]],
        "rows": rows,
        "link": link,
    }
