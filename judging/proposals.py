"""The proposal step of the night: the admins' rules (judging.Rule) read against the stored
scorecards, making proposals with their evidence; never a change by itself.

A rule fires for a partner when, on each of the last `sustained_days` nights ending on the
run's date, its scorecard's headline figure (`metric`, over JUDGING_HEADLINE_WINDOW) was
`comparison` the `threshold` (a scorecard with no data for the figure, or fewer than
`min_ratings` ratings, breaks the run), and the partner was in a state the action applies to:

- watch: an active partner -> on watch; phase out: a partner on watch or on probation ->
  phased out; reinstate: a partner on watch -> active;
- tier up / tier down: an active partner -> the next tier up / down by rank, unless its tier
  changed in the last `grace_days` (the earned tier against the benefit tier).

One grouped query per rule finds the partners; the proposals are inserted with their unique
`cause` (rule, partner, change, and the day the partner's state or tier episode began), so a
re-run, or the next nights of the same episode, insert nothing. Open proposals whose partner's
state or tier has since moved on are marked superseded first.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q

from judging.models import Proposal, Rule, Scorecard
from orgs.models import Partner, PartnerTier, PartnerTransition

S = Partner.State
A = Rule.Action
APPLIES_TO = {
    A.WATCH: (S.ACTIVE,),
    A.PHASE_OUT: (S.ON_WATCH, S.PROBATION),
    A.REINSTATE: (S.ON_WATCH,),
    A.TIER_UP: (S.ACTIVE,),
    A.TIER_DOWN: (S.ACTIVE,),
}
STATE_TARGET = {A.WATCH: S.ON_WATCH, A.PHASE_OUT: S.PHASED_OUT, A.REINSTATE: S.ACTIVE}
EVIDENCE_FIGURES = (
    "revenue_minor",
    "revenue_growth_pct",
    "value_added_pct",
    "margin_mean",
    "refund_rate_pct",
)


def _condition(rule: Rule) -> Q:
    lookup = "lt" if rule.comparison == Rule.Comparison.BELOW else "gt"
    q = Q(**{f"{rule.metric}__{lookup}": rule.threshold}) & Q(**{f"{rule.metric}__isnull": False})
    if rule.min_ratings:
        q &= Q(ratings__gte=rule.min_ratings)
    return q


def _firing(rule: Rule, day: dt.date) -> list[int]:
    """Partners whose scorecards met the rule on every one of the last `sustained_days` nights."""
    start = day - dt.timedelta(days=rule.sustained_days - 1)
    return list(
        Scorecard.objects.filter(day__gte=start, day__lte=day, partner__state__in=APPLIES_TO[rule.action])
        .filter(_condition(rule))
        .values("partner_id")
        .annotate(n=Count("id"))
        .filter(n=rule.sustained_days)
        .values_list("partner_id", flat=True)
        .order_by("partner_id")
    )


def supersede_moved_on() -> int:
    """Open proposals whose partner is no longer in the state (or tier) they were made in."""
    state_moved = Proposal.objects.filter(status=Proposal.Status.OPEN, kind=Proposal.Kind.STATE).exclude(
        partner__state=F("from_value")
    )
    tier_moved = Proposal.objects.filter(status=Proposal.Status.OPEN, kind=Proposal.Kind.TIER).exclude(
        partner__tier__code=F("from_value")
    )
    n = 0
    for qs in (state_moved, tier_moved):
        n += Proposal.objects.filter(pk__in=qs.values("pk")).update(
            status=Proposal.Status.SUPERSEDED, decision_reason="The partner's state or tier moved on."
        )
    return n


def proposals_make(*, day: dt.date) -> dict:
    """Supersede what moved on, then make the proposals of every active rule for the date."""
    tiers = list(PartnerTier.objects.order_by("rank", "id").values_list("id", "code", "rank"))
    made = {}
    with transaction.atomic():
        superseded = supersede_moved_on()
        for rule in Rule.objects.filter(active=True).order_by("code"):
            ids = _firing(rule, day)
            if rule.action in (A.TIER_UP, A.TIER_DOWN) and ids and rule.grace_days:
                recent = PartnerTransition.objects.filter(
                    partner=OuterRef("pk"),
                    kind=PartnerTransition.Kind.TIER,
                    effective_on__gt=day - dt.timedelta(days=rule.grace_days),
                )
                ids = list(
                    Partner.objects.filter(pk__in=ids).exclude(Exists(recent)).values_list("pk", flat=True)
                )
            made[rule.code] = _propose(rule, day, ids, tiers) if ids else 0
    return {"superseded": superseded, "made": made}


def _propose(rule: Rule, day: dt.date, ids: list[int], tiers: list) -> int:
    start = day - dt.timedelta(days=rule.sustained_days - 1)
    partners = {
        r["id"]: r
        for r in Partner.objects.filter(pk__in=ids).values(
            "id", "state", "state_since", "tier__code", "tier__rank"
        )
    }
    last_tier_change = dict(
        PartnerTransition.objects.filter(partner_id__in=ids, kind=PartnerTransition.Kind.TIER)
        .values("partner_id")
        .annotate(on=Max("effective_on"))
        .values_list("partner_id", "on")
        .order_by()
    )
    series: dict[int, list] = {}
    for row in (
        Scorecard.objects.filter(partner_id__in=ids, day__gte=start, day__lte=day)
        .order_by("partner_id", "day")
        .values("partner_id", "day", *EVIDENCE_FIGURES)
    ):
        series.setdefault(row.pop("partner_id"), []).append(
            {
                k: (v.isoformat() if isinstance(v, dt.date) else None if v is None else str(v))
                for k, v in row.items()
            }
        )
    window = settings.JUDGING_HEADLINE_WINDOW
    rows = []
    for pid in ids:
        p = partners[pid]
        if rule.action in STATE_TARGET:
            kind, frm, to = Proposal.Kind.STATE, p["state"], STATE_TARGET[rule.action]
            episode = p["state_since"]
        else:
            ranks = [
                t
                for t in tiers
                if (t[2] > p["tier__rank"] if rule.action == A.TIER_UP else t[2] < p["tier__rank"])
            ]
            if not ranks:
                continue  # already at the top (or bottom) tier
            target = ranks[0] if rule.action == A.TIER_UP else ranks[-1]
            kind, frm, to = Proposal.Kind.TIER, p["tier__code"], target[1]
            episode = last_tier_change.get(pid) or p["state_since"]
        rows.append(
            Proposal(
                partner_id=pid,
                rule=rule,
                kind=kind,
                action=rule.action,
                from_value=frm,
                to_value=to,
                cause=f"{rule.code}:{pid}:{frm}>{to}:{episode.isoformat()}",
                day=day,
                evidence={
                    "rule": rule.code,
                    "rule_name": rule.name,
                    "metric": rule.metric,
                    "comparison": rule.comparison,
                    "threshold": str(rule.threshold),
                    "min_ratings": rule.min_ratings,
                    "figure_window_days": window,
                    "sustained_days": rule.sustained_days,
                    "from": start.isoformat(),
                    "to": day.isoformat(),
                    "events_from": (start - dt.timedelta(days=window - 1)).isoformat(),
                    "nights": series.get(pid, []),
                },
            )
        )
    before = Proposal.objects.filter(rule=rule, day=day).count()
    Proposal.objects.bulk_create(rows, ignore_conflicts=True)
    return Proposal.objects.filter(rule=rule, day=day).count() - before
