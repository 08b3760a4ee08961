"""The computations: one function per figure, from `scoring.inputs.Inputs` for one subject key.

Each returns a `Figure`: the headline value (None = no data, never a made-up zero), its
secondary figures and the counts of what it is made of. Money shares are read in the reporting
currency (settings.SCORING_CURRENCY); other currencies are reported beside, never converted.
The written definition of each figure is in scoring.registry, beside its code.
"""

import itertools
import statistics
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from django.conf import settings

from ledger.models import PurposeIndicator
from ledger.money import from_minor
from orgs.models import Partner

Q4 = Decimal("0.0001")


@dataclass
class Figure:
    value: Decimal | None
    figures: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    currency: str = ""


def dec(value) -> Decimal | None:
    """Round to four decimals, half to even: the same in every process and database."""
    if value is None:
        return None
    return Decimal(value).quantize(Q4, rounding=ROUND_HALF_EVEN)


def pct(part, whole) -> Decimal | None:
    return None if not whole else dec(Decimal(part) * 100 / Decimal(whole))


def ratio(part, whole) -> Decimal | None:
    return None if not whole else dec(Decimal(part) / Decimal(whole))


def text(value) -> str | None:
    return None if value is None else format(value, "f")


def shannon(weights) -> Decimal | None:
    """Shannon diversity H = -sum p ln p of the positive weights (None with none), in Decimal
    arithmetic: the same digits in every process."""
    positive = [Decimal(w) for w in weights if w > 0]
    total = sum(positive, Decimal(0))
    if not total:
        return None
    return dec(-sum(((w / total) * (w / total).ln() for w in positive), Decimal(0)))


def _cur() -> str:
    return settings.SCORING_CURRENCY


def _money(minor: int) -> Decimal:
    return dec(from_minor(int(minor), _cur()))


def _other_currencies(by_currency: dict, name: str = "net") -> dict:
    return {
        c: text(dec(from_minor(v[name] if isinstance(v, dict) else v, c)))
        for c, v in sorted(by_currency.items())
        if c != _cur()
    }


# --- brand purpose --------------------------------------------------------------------------


def sustainability(inp, key) -> Figure:
    found = inp.indicators.get(key, {})
    kinds = (
        PurposeIndicator.Kind.CO2E_AVOIDED,
        PurposeIndicator.Kind.ENERGY_SAVED,
        PurposeIndicator.Kind.UNITS_RECYCLED,
    )
    entries = sum(found.get(k, (0, 0))[1] for k in kinds)
    if not entries:
        return Figure(None, inputs={"entries": 0})
    co2e = found.get(PurposeIndicator.Kind.CO2E_AVOIDED, (Decimal(0), 0))[0]
    revenue = inp.value.get(key, {}).get(_cur(), {}).get("net", 0)
    per_10k = dec(Decimal(co2e) * 10000 / from_minor(revenue, _cur())) if revenue > 0 else None
    return Figure(
        dec(co2e),
        figures={
            "kwh_saved": text(dec(found.get(PurposeIndicator.Kind.ENERGY_SAVED, (0, 0))[0])),
            "units_recycled": text(dec(found.get(PurposeIndicator.Kind.UNITS_RECYCLED, (0, 0))[0])),
            "kg_co2e_per_10k_revenue": text(per_10k),
        },
        inputs={"entries": entries},
        currency=_cur() if per_10k is not None else "",
    )


def improving_lives(inp, key) -> Figure:
    quantity, entries = inp.indicators.get(key, {}).get(PurposeIndicator.Kind.PEOPLE_SERVED, (None, 0))
    if not entries:
        return Figure(None, inputs={"entries": 0})
    return Figure(dec(quantity), inputs={"entries": entries})


def empowering_enterprises(inp, key, facts=None) -> Figure:
    earned = inp.earned_year.get(key, {})
    positive = sum(1 for (kind, _o), cur in earned.items() if kind == "partner" and cur.get(_cur(), 0) > 0)
    mes = (facts or {}).get("mes_incubated", 0)
    partners = len(inp.active_partners.get(key, ()))
    if not partners and not earned and not mes:
        return Figure(None, inputs={"partners": 0})
    return Figure(
        dec(positive + mes),
        figures={"partners_with_value_added": positive, "mes_incubated": mes},
        inputs={"partners": partners, "earning_partners": len(earned)},
    )


# --- user: unbounded products and services ------------------------------------------------


def categories_industries(inp, key) -> Figure:
    cats = inp.categories.get(key)
    if not cats:
        return Figure(None, inputs={"categories": 0})
    classes = {inp.category_industry.get(c) for c in cats} - {None}
    return Figure(
        dec(len(cats)),
        figures={"isic_classes": len(classes), "isic_divisions": len({c[:2] for c in classes})},
        inputs={"categories": len(cats)},
    )


# --- user: ever-evolving, customized integrated solutions ---------------------------------


def integrated_solutions(inp, key) -> Figure:
    total = inp.value.get(key, {}).get(_cur(), {}).get("net", 0)
    sols = inp.solutions.get(key, {}).get(_cur(), {})
    integrated = sum(v for s, v in sols.items() if s in inp.integrated)
    active = {s for by_cur in inp.solutions.get(key, {}).values() for s, v in by_cur.items() if v > 0}
    return Figure(
        pct(integrated, total) if total > 0 else None,
        figures={
            "active_solutions": len(active),
            "active_integrated_solutions": len(active & inp.integrated),
            "integrated_value": text(_money(integrated)),
        },
        inputs={"solutions": len(sols), "value_total": text(_money(total))},
        currency=_cur(),
    )


def customized(inp, key) -> Figure:
    by_cur = inp.value.get(key, {})
    payments = sum(v["payments"] for v in by_cur.values())
    made = sum(v["customized"] for v in by_cur.values())
    return Figure(
        pct(made, payments) if payments > 0 else None, inputs={"payments": payments, "customized": made}
    )


def continuous_evolution(inp, key) -> Figure:
    sols = inp.emc_solutions.get(key, set())
    if not sols:
        return Figure(None, inputs={"solutions": 0})
    start, end = inp.window.period
    in_period, gaps = 0, []
    for s in sols:
        days = inp.versions.get(s, [])
        for before, after in itertools.pairwise(days):
            if start <= after <= end:
                gaps.append((after - before).days)
        in_period += sum(1 for d in days if start <= d <= end)
    median = dec(statistics.median(gaps)) if gaps else None
    return Figure(
        dec(in_period),
        figures={"median_days_between_iterations": text(median)},
        inputs={"solutions": len(sols), "intervals": len(gaps)},
    )


# --- user: life-long users -------------------------------------------------------------------


def superior_experience(inp, key) -> Figure:
    s = inp.signals.get(key, {})
    ratings = s.get("ratings", 0)
    return Figure(
        pct(s.get("ratings_above", 0), ratings) if ratings else None,
        figures={"mean_margin": text(ratio(s.get("margin_sum", 0), ratings))},
        inputs={"ratings": ratings, "above_expectation": s.get("ratings_above", 0)},
    )


def _user_share(inp, key, signal: str) -> Figure:
    u = inp.users.get(key, {})
    active = u.get("active", 0)
    return Figure(
        pct(u.get(signal, 0), active) if active else None,
        inputs={"active_users": active, "users_with_signal": u.get(signal, 0)},
    )


def cocreation_willingness(inp, key) -> Figure:
    return _user_share(inp, key, "cocreation")


def recommendation(inp, key) -> Figure:
    return _user_share(inp, key, "story")


def related_purchase(inp, key) -> Figure:
    return _user_share(inp, key, "related")


def lifelong_users(inp, key) -> Figure:
    u = inp.users.get(key, {})
    if not u.get("active"):
        return Figure(None, inputs={"active_users": 0})
    return Figure(
        dec(u["lifelong"]),
        figures={k: u[k] for k in ("transactional", "interactive", "lifelong")},
        inputs={"active_users": u["active"]},
    )


# --- partner: open, diverse, dynamic --------------------------------------------------------


def diverse_industries(inp, key) -> Figure:
    active = inp.active_partners.get(key, set())
    if not active:
        return Figure(None, inputs={"active_partners": 0})
    divisions = {d for p in active for d in inp.partner_divisions.get(p, ())}
    by_division: dict[str, Decimal] = {}
    for p, v in inp.partner_value.get(key, {}).get(_cur(), {}).items():
        divs = sorted(inp.partner_divisions.get(p, ()))
        for d in divs:  # a partner of several industries adds its value to each in equal parts
            by_division[d] = by_division.get(d, Decimal(0)) + Decimal(max(v, 0)) / len(divs)
    return Figure(
        dec(len(divisions)),
        figures={"shannon_value_by_industry": text(shannon([by_division[d] for d in sorted(by_division)]))},
        inputs={
            "active_partners": len(active),
            "partners_with_value": len(inp.partner_value.get(key, {}).get(_cur(), {})),
        },
    )


def diverse_roles(inp, key) -> Figure:
    active = inp.active_partners.get(key, set())
    if not active:
        return Figure(None, inputs={"active_partners": 0})
    counts: dict[int, int] = {}
    for p in active:
        for r in inp.partner_roles.get(p, ()):
            counts[r] = counts.get(r, 0) + 1
    return Figure(
        dec(len(counts)),
        figures={"shannon_roles": text(shannon([counts[r] for r in sorted(counts)]))},
        inputs={"active_partners": len(active)},
    )


def open_entry(inp, key, facts=None) -> Figure:
    active = len(inp.active_partners.get(key, ()))
    transitions = (facts or {}).get("transitions", [])
    if not active and not transitions:
        return Figure(None, inputs={"active_partners": 0, "transitions": 0})
    entries = [
        t
        for t in transitions
        if t["to_value"] == Partner.State.PROBATION and t["from_value"] == Partner.State.APPLIED
    ]
    exits = [t for t in transitions if t["to_value"] == Partner.State.PHASED_OUT]
    activations = [
        (t["effective_on"] - t["partner__applied_on"]).days
        for t in transitions
        if t["to_value"] == Partner.State.ACTIVE and t["from_value"] == Partner.State.PROBATION
    ]
    by_users = sum(1 for t in exits if t["proposal_id"] is not None or (t["evidence"] or "").strip())
    return Figure(
        pct(len(entries), active) if active else None,
        figures={
            "exit_rate": text(pct(len(exits), active) if active else None),
            "median_days_applied_to_active": text(
                dec(statistics.median(activations)) if activations else None
            ),
            "exits_driven_by_user_value": text(pct(by_users, len(exits)) if exits else None),
        },
        inputs={
            "active_partners": active,
            "entries": len(entries),
            "exits": len(exits),
            "activations": len(activations),
        },
    )


# --- partner: sharing, collaboration, co-creation -------------------------------------------


def sharing_spirit(inp, key) -> Figure:
    active = inp.active_partners.get(key, set())
    if not active:
        return Figure(None, inputs={"active_partners": 0})
    users = [p for p in active if inp.resources_used.get(p)]
    resources = {r for p in active for r in inp.resources_used.get(p, ())}
    return Figure(
        pct(len(users), len(active)),
        figures={"resources_in_use": len(resources)},
        inputs={"active_partners": len(active), "partners_using": len(users)},
    )


def efficient_collaboration(inp, key) -> Figure:
    active = inp.active_partners.get(key, set())
    if not active:
        return Figure(None, inputs={"active_partners": 0})
    certified = len(active & inp.certified)
    return Figure(
        pct(certified, len(active)), inputs={"active_partners": len(active), "certified": certified}
    )


def comparative_advantage(inp, key) -> Figure:
    total = inp.value.get(key, {}).get(_cur(), {}).get("net", 0)
    sols = inp.solutions.get(key, {}).get(_cur(), {})
    cross = {s: v for s, v in sols.items() if s in inp.cross_industry}
    return Figure(
        pct(sum(cross.values()), total) if total > 0 else None,
        figures={"cross_industry_solutions": sum(1 for v in cross.values() if v > 0)},
        inputs={"solutions": len(sols), "value_total": text(_money(total))},
        currency=_cur(),
    )


# --- partner: value-added sharing, win-win ---------------------------------------------------


def _growth(now: int, before: int) -> Decimal | None:
    return pct(now - before, before) if before > 0 else None


def ecosystem_revenue_growth(inp, key) -> Figure:
    now = inp.value.get(key, {}).get(_cur(), {}).get("noncore", 0)
    before = inp.value_previous.get(key, {}).get(_cur(), {}).get("noncore", 0)
    current = inp.partner_value.get(key, {}).get(_cur(), {})
    previous = inp.partner_value_previous.get(key, {}).get(_cur(), {})
    compared = [p for p in set(current) | set(previous) if previous.get(p, 0) > 0]
    grew = sum(1 for p in compared if current.get(p, 0) > previous[p])
    return Figure(
        _growth(now, before),
        figures={"partners_with_growth_pct": text(pct(grew, len(compared)) if compared else None)},
        inputs={
            "ecosystem_revenue": text(_money(now)),
            "ecosystem_revenue_previous": text(_money(before)),
            "partners_compared": len(compared),
        },
        currency=_cur(),
    )


def fairness(earned: dict[int, int], contributed: dict[int, int]) -> Decimal | None:
    """1 - half the total difference between each partner's share of what partners earned and its
    share of the value of the events partners took part in: 1 when pay follows contribution."""
    e_total = sum(v for v in earned.values() if v > 0)
    c_total = sum(v for v in contributed.values() if v > 0)
    if not e_total or not c_total:
        return None
    partners = sorted(set(earned) | set(contributed))
    gap = sum(
        abs(Decimal(max(earned.get(p, 0), 0)) / e_total - Decimal(max(contributed.get(p, 0), 0)) / c_total)
        for p in partners
    )
    return dec(1 - gap / 2)


def added_value_shared(inp, key) -> Figure:
    active = inp.active_partners.get(key, set())
    earned = inp.earned_year.get(key, {})
    if not active:
        return Figure(None, inputs={"active_partners": 0})
    above = 0
    for p in active:
        baseline, currency = inp.partners.get(p, (0, ""))
        if earned.get(("partner", p), {}).get(currency, 0) > baseline:
            above += 1
    period = inp.earned_period.get(key, {})
    earned_cur = {o: c.get(_cur(), 0) for (kind, o), c in period.items() if kind == "partner"}
    return Figure(
        pct(above, len(active)),
        figures={"fairness": text(fairness(earned_cur, inp.partner_value.get(key, {}).get(_cur(), {})))},
        inputs={"active_partners": len(active), "above_baseline": above},
    )


# --- per partner (for the scorecards) ---------------------------------------------------------


def partner_resources(inp, partner_id) -> Figure:
    return Figure(dec(len(inp.resources_used.get(partner_id, ()))))


def partner_certified(inp, partner_id) -> Figure:
    return Figure(dec(1 if partner_id in inp.certified else 0))


def partner_revenue_growth(inp, partner_id) -> Figure:
    now = inp.partner_value.get(0, {}).get(_cur(), {}).get(partner_id, 0)
    before = inp.partner_value_previous.get(0, {}).get(_cur(), {}).get(partner_id, 0)
    return Figure(
        _growth(now, before),
        inputs={"value": text(_money(now)), "value_previous": text(_money(before))},
        currency=_cur(),
    )


def partner_added_value(inp, partner_id) -> Figure:
    baseline, currency = inp.partners.get(partner_id, (0, ""))
    earned = inp.earned_year.get(0, {}).get(("partner", partner_id), {}).get(currency, 0)
    return Figure(
        pct(earned, baseline) if baseline > 0 else None,
        inputs={
            "earned_year": text(dec(from_minor(earned, currency))) if currency else None,
            "baseline": text(dec(from_minor(baseline, currency))) if currency else None,
        },
        currency=currency,
    )


# --- VAM goal figures per EMC / ecosystem (from Inputs) and per ME (from me_inputs) ----------


def user_paid_value(inp, key) -> Figure:
    by_cur = inp.value.get(key, {})
    if not by_cur:
        return Figure(None, inputs={"payments": 0})
    mine = by_cur.get(_cur(), {"net": 0, "payments": 0})
    return Figure(
        _money(mine["net"]),
        figures={"other_currencies": _other_currencies(by_cur)},
        inputs={"payments": sum(v["payments"] for v in by_cur.values())},
        currency=_cur(),
    )


def ecosystem_revenue(inp, key) -> Figure:
    by_cur = inp.value.get(key, {})
    if not by_cur:
        return Figure(None, inputs={"payments": 0})
    return Figure(
        _money(by_cur.get(_cur(), {}).get("noncore", 0)),
        figures={"other_currencies": _other_currencies(by_cur, "noncore")},
        currency=_cur(),
    )


def profit(inp, key) -> Figure:
    earned = inp.earned_period.get(key, {})
    mes = {o: c for (kind, o), c in earned.items() if kind == "me"}
    if not mes:
        return Figure(None, inputs={"mes": 0})
    return Figure(
        _money(sum(c.get(_cur(), 0) for c in mes.values())), inputs={"mes": len(mes)}, currency=_cur()
    )


def user_experience(inp, key) -> Figure:
    return superior_experience(inp, key)


def co_creation(inp, key) -> Figure:
    s = inp.signals.get(key)
    if s is None:
        return Figure(None, inputs={"signals": 0})
    return Figure(dec(s["cocreations"]), inputs={"cocreations": s["cocreations"]})


def me_figures(mi: dict, me_id: int) -> dict[str, Figure]:
    """The VAM goal figures of one ME over the period (from scoring.inputs.me_inputs)."""
    value = mi["value"].get(me_id, {})
    mine = value.get(_cur())
    signals = mi["signals"].get(me_id)
    users = mi["users"].get(me_id)
    earned = mi["earned"].get(me_id, {})
    return {
        "user_paid_value": Figure(_money(mine[0]) if mine else None, currency=_cur()),
        "ecosystem_revenue": Figure(_money(mine[1]) if mine else None, currency=_cur()),
        "profit": Figure(_money(earned[_cur()]) if _cur() in earned else None, currency=_cur()),
        "lifelong_users": Figure(
            dec(users["lifelong"]) if users else None,
            figures={k: users[k] for k in ("transactional", "interactive", "lifelong")} if users else {},
            inputs={"active_users": users["active"] if users else 0},
        ),
        "co_creation": Figure(dec(signals["cocreations"]) if signals else None),
        "user_experience": Figure(
            pct(signals["ratings_above"], signals["ratings"]) if signals and signals["ratings"] else None,
            inputs={"ratings": signals["ratings"] if signals else 0},
        ),
    }
