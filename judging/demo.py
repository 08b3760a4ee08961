"""The demo's judging rules, written as an admin would (through `rule_save`, audited). Called by
`manage.py demo_load` after the scoring demo; safe to run again. The demo's proposals are not
fixtures: they come from these rules, on each of the last nights the backfill of `bin/demo` scores
and sends on (`nightly_run --downstream-last 60`; or, when the nights were scored before the rules
existed, on the latest ones judged here)."""

from judging import services
from judging.models import Rule, Scorecard
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
    progress(f"judging: {made} rules, {judged} nights judged")
    return f"{made} rules, {judged} nights judged"
