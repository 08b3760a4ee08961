"""The demo's judging rules, written as an admin would (through `rule_save`, audited). Called by
`manage.py demo_load` after the scoring demo; safe to run again. The demo's proposals are not
fixtures: they come from these rules, on each of the last nights the backfill of `bin/demo` scores
and sends on (`nightly_run --downstream-last 60`; or, when the nights were scored before the rules
existed, on the latest ones judged here)."""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from judging import entries, services
from judging.models import CostEntry, Rule, Scorecard
from orgs.models import Microenterprise
from scoring.models import NightlyRun

RULES = [
    # code, name, action, metric, comparison, threshold, nights, min ratings, grace days
    ("watch-poor-experience", "Ratings under expectation", "watch", "margin_mean", "below", "0", 30, 5, 0),
    (
        "phase-out-poor-experience",
        "Ratings well under expectation",
        "phase_out",
        "margin_mean",
        "below",
        "-0.5",
        45,
        5,
        0,
    ),
    ("watch-refunds", "Refunds too high", "watch", "refund_rate_pct", "above", "5", 30, 0, 0),
    (
        "phase-out-refunds",
        "Refunds still too high on watch",
        "phase_out",
        "refund_rate_pct",
        "above",
        "5",
        30,
        0,
        0,
    ),
    (
        "reinstate-recovered",
        "Ratings above expectation again",
        "reinstate",
        "margin_mean",
        "above",
        "0.3",
        30,
        5,
        0,
    ),
    (
        "tier-up-growth",
        "Growing ecosystem revenue",
        "tier_up",
        "revenue_growth_pct",
        "above",
        "30",
        60,
        0,
        90,
    ),
    (
        "tier-down-decline",
        "Falling ecosystem revenue",
        "tier_down",
        "revenue_growth_pct",
        "below",
        "-30",
        60,
        0,
        90,
    ),
]
JUDGE_LAST_NIGHTS = 60  # enough nights for the longest rule above


def demo_judging_load(*, users, progress) -> str:
    made = 0
    for code, name, action, metric, comparison, threshold, nights, ratings, grace in RULES:
        if Rule.objects.filter(code=code).exists():
            continue
        services.rule_save(
            actor=users["admin"],
            code=code,
            data={
                "name": name,
                "action": action,
                "metric": metric,
                "comparison": comparison,
                "threshold": threshold,
                "sustained_days": nights,
                "min_ratings": ratings,
                "grace_days": grace,
                "appeal_days": 14,
            },
        )
        made += 1
    runs = list(
        NightlyRun.objects.filter(status=NightlyRun.Status.DONE, superseded=False).order_by("-run_date")[
            :JUDGE_LAST_NIGHTS
        ]
    )
    judged = 0
    for run in reversed(runs):
        if not Scorecard.objects.filter(day=run.run_date).exists():
            services.night_judge(run_id=run.pk)
            judged += 1
    if runs and not judged:
        services.night_judge(run_id=runs[0].pk)  # the rules may be new: judge the latest night again
    logged = demo_statement_inputs_load(users=users)
    progress(f"judging: {made} rules, {judged} nights judged, {logged} cost and hours entries")
    return f"{made} rules, {judged} nights judged, {logged} cost and hours entries"


STATEMENT_MES = 40  # the first live MEs by code; two in three of them log costs and hours
STATEMENT_MONTHS = 3  # this month and the two before


def demo_statement_inputs_load(*, users) -> int:
    """Costs and hours for a part of the MEs over the last months (the others log none, so their
    statements say "no data"): two bulk writes, once (nothing is added on a second run)."""
    if CostEntry.objects.exists():
        return 0
    mes = list(
        Microenterprise.objects.filter(status="active")
        .order_by("code")
        .values_list("pk", "code")[:STATEMENT_MES]
    )
    first = timezone.localdate().replace(day=1)
    months = [first]
    for _ in range(STATEMENT_MONTHS - 1):
        months.append((months[-1] - dt.timedelta(days=1)).replace(day=1))
    currency = settings.SCORING_CURRENCY
    costs, hours = [], []
    for pk, code in mes:
        if pk % 3 == 0:
            continue
        for month in months:
            period = f"{month:%Y-%m}"
            for category, base in (("materials", 800), ("labour", 2400), ("services", 300)):
                costs.append(
                    entries.CostSpec(
                        me=code,
                        period=period,
                        category=category,
                        amount=f"{base + (pk * 37 + month.month * 11) % 500}.00",
                        currency=currency,
                        note="demo",
                    )
                )
            hours.append(entries.HoursSpec(me=code, period=period, hours=str(120 + pk % 60), note="demo"))
    if not costs:
        return 0
    actor = users.get("admin")
    made = entries.cost_entries_post(specs=costs, actor=actor, source="job")
    made += entries.hours_entries_post(specs=hours, actor=actor, source="job")
    return len(made)
