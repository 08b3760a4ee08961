"""The partner scorecard step of the night: one `Scorecard` row per partner per date.

Every figure is read from the scoring rollups as recorded up to the run's cut-off, summed over
rolling windows of W days ending on the run's date (JUDGING_WINDOWS, e.g. 30 / 90 / 365); each
figure's *trend* compares it with the W days just before. Definitions:

- *ecosystem revenue*: the net value (payments less refunds, reversals taken out) of the value
  events the partner took part in, the whole event's amount (not the partner's share), per
  currency; *growth*: % change against the previous window, "no data" when that was zero;
- *value added*: what the ledger credited the partner (its share legs, net of refunds and
  reversals); *against the entry baseline*: the window's value added, annualised (x 365 / W), as
  % of the ecosystem revenue it declared at entry (in its baseline currency; none without one);
- *experience margin*: the mean of (rating - the user's prior expectation) over the ratings on
  the solutions it provides (a solution of several providers counts for each), with the share of
  ratings under expectation; "no data" without ratings;
- *refunds*: refund events it took part in and their amount; *refund rate*: refunded amount as
  % of the gross paid (net + refunded) in SCORING_CURRENCY;
- *co-created solutions*: the solutions it provides together with at least one other provider
  (partner or ME); *their share of value*: their user-paid value in the window as % of the
  ecosystem's;
- *certifications* valid on the date, *shared platform resources* in use on the date, *tenure*:
  days since it was first admitted (probation or active; none while never admitted); its roles,
  industries, tier and state as they stand when the night is computed.

With them, each partner's ecosystem brand utility and its co-creation graph (judging/utility.py).

Which partners: every partner ever admitted (not applied or rejected), phased-out ones included
(so a reinstatement can be judged). The step is set-based: a fixed number of grouped queries
whatever the number of partners, one bulk insert; re-running a date rewrites that date's rows.
The window sums are those of the night before advanced by this night's rollup rows and the days
leaving each window (judging/windows.py: the same sums as `scoring.inputs.partner_windows`
reads whole), so the step's reads follow the night, not the windows' two years.
"""

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q

from judging.models import Scorecard
from judging.utility import utilities
from judging.windows import window_sums
from orgs.models import Certification, Partner, PartnerTransition, ResourceUse, Solution
from scoring.models import NightlyRun

INSERT_BATCH = 2000  # rows per INSERT: 10,000 partners are 5 statements
TWO = Decimal("0.01")


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(TWO, rounding=ROUND_HALF_UP)


def _pct(part, whole) -> Decimal | None:
    return _dec(Decimal(part) * 100 / whole) if whole else None


def _text(value) -> str | None:
    return None if value is None else str(value)


def trend(now, before) -> str | None:
    """'up', 'down' or 'flat' from the previous window to this one; None when either is missing."""
    if now is None or before is None:
        return None
    now, before = Decimal(str(now)), Decimal(str(before))
    return "up" if now > before else "down" if now < before else "flat"


def windows() -> list[int]:
    days = sorted({int(w) for w in settings.JUDGING_WINDOWS if int(w) > 0})
    if settings.JUDGING_HEADLINE_WINDOW not in days:
        raise ValueError("JUDGING_HEADLINE_WINDOW must be one of JUDGING_WINDOWS")
    return days


def _covering(start: str, end: str, day: dt.date) -> Q:
    return Q(**{f"{start}__lte": day}) & (Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gt": day}))


def _org_facts(day: dt.date) -> dict:
    """The partners judged and what the organization records about them on the date."""
    partners = {
        r["id"]: r
        for r in Partner.objects.exclude(state__in=[Partner.State.APPLIED, Partner.State.REJECTED]).values(
            "id", "state", "tier__code", "revenue_baseline_minor", "baseline_currency"
        )
    }
    ids = list(partners)
    roles, industries, certs, resources = (defaultdict(list) for _ in range(4))
    for pid, code in Partner.roles.through.objects.filter(partner_id__in=ids).values_list(
        "partner_id", "partnerrole__code"
    ):
        roles[pid].append(code)
    for pid, code in Partner.industries.through.objects.filter(partner_id__in=ids).values_list(
        "partner_id", "industry__code"
    ):
        industries[pid].append(code)
    for pid, code in (
        Certification.objects.filter(partner_id__in=ids)
        .filter(_covering("certified_on", "expires_on", day))
        .values_list("partner_id", "standard__code")
    ):
        certs[pid].append(code)
    for pid, code in (
        ResourceUse.objects.filter(partner_id__in=ids)
        .filter(_covering("started_on", "ended_on", day))
        .values_list("partner_id", "resource__code")
    ):
        resources[pid].append(code)
    admitted = dict(
        PartnerTransition.objects.filter(
            partner_id__in=ids,
            kind=PartnerTransition.Kind.STATE,
            to_value__in=[Partner.State.PROBATION, Partner.State.ACTIVE],
            effective_on__lte=day,
        )
        .values("partner_id")
        .annotate(first=Min("effective_on"))
        .values_list("partner_id", "first")
        .order_by()
    )
    # solutions with their providers: which are co-created (>= 2 providers), whose are they
    providers = defaultdict(set)  # solution -> {("p", id) | ("m", id)}
    for sid, pid in Solution.provider_partners.through.objects.values_list("solution_id", "partner_id"):
        providers[sid].add(("p", pid))
    for sid, mid in Solution.provider_mes.through.objects.values_list("solution_id", "microenterprise_id"):
        providers[sid].add(("m", mid))
    co_solutions = defaultdict(set)  # partner -> {co-created solution ids}
    for sid, who in providers.items():
        if len(who) >= 2:
            for kind, pk in who:
                if kind == "p":
                    co_solutions[pk].add(sid)
    return {
        "partners": partners,
        "roles": roles,
        "industries": industries,
        "certifications": certs,
        "resources": resources,
        "admitted": admitted,
        "co_solutions": co_solutions,
    }


def _window_figures(pid: int, partner: dict, w: int, now: dict, before: dict, co: set) -> dict:
    """The figures of one partner over one window (`now`) with the previous one (`before`)."""
    cur = settings.SCORING_CURRENCY
    value, value_before = now["value"].get(pid, {}), before["value"].get(pid, {})
    earned, earned_before = now["earned"].get(pid, {}), before["earned"].get(pid, {})
    sig, sig_before = now["signals"].get(pid), before["signals"].get(pid)

    def net(v):
        return {c: x["net"] for c, x in v.items()}

    revenue, revenue_before = value.get(cur, {}).get("net", 0), value_before.get(cur, {}).get("net", 0)
    growth = _pct(revenue - revenue_before, revenue_before) if revenue_before > 0 else None
    baseline, base_cur = partner["revenue_baseline_minor"], partner["baseline_currency"]

    def added_pct(e):
        return _pct(Decimal(e.get(base_cur, 0)) * 365 / w, baseline) if baseline > 0 else None

    def margin(s):
        return _dec(Decimal(s["margin_sum"]) / s["ratings"]) if s and s["ratings"] else None

    def refund_rate(v):
        mine = v.get(cur)
        if not mine:
            return None
        gross = mine["net"] + mine["refund"]
        return _pct(mine["refund"], gross) if gross > 0 else None

    def co_share(window):
        total = window["total"].get(cur, 0)
        if total <= 0:
            return None
        sols = window["solutions"].get(cur, {})
        return _pct(sum(sols.get(s, 0) for s in co), total)

    figures = {
        "start": now["start"].isoformat(),
        "end": now["end"].isoformat(),
        "revenue": net(value),
        "revenue_previous": net(value_before),
        "revenue_growth_pct": _text(growth),
        "events": sum(x["events"] for x in value.values()),
        "events_previous": sum(x["events"] for x in value_before.values()),
        "value_added": dict(earned),
        "value_added_previous": dict(earned_before),
        "value_added_pct": _text(added_pct(earned)),
        "value_added_pct_previous": _text(added_pct(earned_before)),
        "ratings": sig["ratings"] if sig else 0,
        "ratings_previous": sig_before["ratings"] if sig_before else 0,
        "margin_mean": _text(margin(sig)),
        "margin_mean_previous": _text(margin(sig_before)),
        "below_expectation_pct": _text(_pct(sig["ratings_below"], sig["ratings"]) if sig else None),
        "cocreations": sig["cocreations"] if sig else 0,
        "refunds": sum(x["refunds"] for x in value.values()),
        "refunds_previous": sum(x["refunds"] for x in value_before.values()),
        "refund": {c: x["refund"] for c, x in value.items() if x["refund"]},
        "refund_rate_pct": _text(refund_rate(value)),
        "refund_rate_pct_previous": _text(refund_rate(value_before)),
        "co_solutions": len(co),
        "co_value_share_pct": _text(co_share(now)),
        "co_value_share_pct_previous": _text(co_share(before)),
    }
    figures["trends"] = {
        "revenue": trend(revenue, revenue_before),
        "value_added": trend(earned.get(base_cur, 0), earned_before.get(base_cur, 0)),
        "margin_mean": trend(figures["margin_mean"], figures["margin_mean_previous"]),
        "refund_rate_pct": trend(figures["refund_rate_pct"], figures["refund_rate_pct_previous"]),
        "co_value_share_pct": trend(figures["co_value_share_pct"], figures["co_value_share_pct_previous"]),
        "events": trend(figures["events"], figures["events_previous"]),
    }
    return figures


def scorecards_compute(*, run_id: int, rebuild: bool = False) -> int:
    """Compute and store every partner's scorecard of the run's date (rewrites the date's rows).
    The window sums advance the night before's (judging/windows.py); `rebuild` reads them whole
    from the rollups instead (the same figures)."""
    run = NightlyRun.objects.get(pk=run_id)
    day = run.run_date
    days = windows()
    # per window w: the w days ending on the day, then the w days before them
    read, _advanced = window_sums(day=day, ingest_id=run.ingest_id, windows=days, rebuild=rebuild)
    facts = _org_facts(day)
    headline = settings.JUDGING_HEADLINE_WINDOW
    cur = settings.SCORING_CURRENCY
    computed = {}
    for pid, partner in facts["partners"].items():
        co = facts["co_solutions"].get(pid, set())
        computed[pid] = {
            str(w): _window_figures(pid, partner, w, read[2 * i], read[2 * i + 1], co)
            for i, w in enumerate(days)
        }
    heads = {pid: per_window[str(headline)] for pid, per_window in computed.items()}
    utility = utilities(
        partner_ids=list(computed),
        start=day - dt.timedelta(days=headline - 1),
        end=day,
        cutoff=run.cutoff,
        performance={pid: h["value_added"].get(cur, 0) for pid, h in heads.items()},
        margin={pid: h["margin_mean"] for pid, h in heads.items()},
    )
    rows = []
    for pid, partner in facts["partners"].items():
        per_window = computed[pid]
        head = per_window[str(headline)]
        first = facts["admitted"].get(pid)
        rows.append(
            Scorecard(
                partner_id=pid,
                day=day,
                run_id=run.pk,
                window_days=headline,
                currency=cur,
                revenue_minor=head["revenue"].get(cur, 0),
                revenue_growth_pct=head["revenue_growth_pct"],
                value_added_minor=head["value_added"].get(cur, 0),
                value_added_pct=head["value_added_pct"],
                ratings=head["ratings"],
                margin_mean=head["margin_mean"],
                refunds=head["refunds"],
                refund_minor=head["refund"].get(cur, 0),
                refund_rate_pct=head["refund_rate_pct"],
                co_solutions=head["co_solutions"],
                co_value_share_pct=head["co_value_share_pct"],
                certifications=len(facts["certifications"].get(pid, ())),
                resources=len(facts["resources"].get(pid, ())),
                tenure_days=(day - first).days if first else None,
                state=partner["state"],
                tier_code=partner["tier__code"],
                figures={
                    "windows": per_window,
                    "roles": sorted(facts["roles"].get(pid, ())),
                    "industries": sorted(facts["industries"].get(pid, ())),
                    "certifications": sorted(facts["certifications"].get(pid, ())),
                    "resources": sorted(facts["resources"].get(pid, ())),
                    "baseline": {
                        "minor": partner["revenue_baseline_minor"],
                        "currency": partner["baseline_currency"],
                    },
                    "utility": utility.get(pid),
                },
            )
        )
    with transaction.atomic():
        Scorecard.objects.filter(day=day).delete()
        Scorecard.objects.bulk_create(rows, batch_size=INSERT_BATCH)
    return len(rows)
