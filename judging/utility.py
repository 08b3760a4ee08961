"""The ecosystem brand utility of each partner (the white paper, section 2.3):

    U_ie = P - sigma_i * d_ij + delta_M * theta_M * C_e + delta_G * theta_G * C_(E-e) - f_e

computed nightly with the scorecards, over the headline window (JUDGING_HEADLINE_WINDOW), on the
co-creation graph: two partners are linked when they took part in the same value event in the
window, or provide the same solution. Each term, with its source and unit (TERMS, shown on the
partner's page); a term whose inputs are missing is None ("no data"), never a made-up constant,
and U is then the sum of the terms that have data, marked partial with the missing ones named.

The shared-event edges and the shared value are read from the window's raw payments (one grouped
self-join of the events' partner links): their cost follows the window's events, not the night's.
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext_lazy as _

from ledger.models import ValueEvent, ValueEventPartner
from ledger.money import from_minor
from orgs.models import Solution

TWO = Decimal("0.01")
FOUR = Decimal("0.0001")
SCALE_POINTS = 4  # the widest gap between a rating and an expectation on the 1-5 scale
GRAPH_NEIGHBOURS_SHOWN = 30

TERMS = [
    (
        "P",
        _("Own performance"),
        _("currency"),
        _(
            "What the ledger credited the partner in the window (its share legs, net): the value users paid it."
        ),
    ),
    (
        "sigma_d",
        _("Distance from users' ideal (sigma x d)"),
        _("currency"),
        _(
            "d = how far, on average, users' ratings of its solutions fell short of their prior "
            "expectation (points, 0 when they met it); sigma = P / 4, the value of one point of the "
            "widest gap on the 1-5 scale. No data without ratings."
        ),
    ),
    (
        "delta_M",
        _("Organization of the micro-ecosystem (delta_M)"),
        _("ratio"),
        _("Graph density among the partner and its direct co-creators (links present / links possible)."),
    ),
    (
        "theta_M",
        _("Reliance on the micro-ecosystem (theta_M)"),
        _("ratio"),
        _("Share of the value of its payments made together with a co-creator."),
    ),
    (
        "C_e",
        _("Value of the micro-ecosystem (C_e)"),
        _("currency"),
        _("Own performance (P) of its direct co-creators, summed."),
    ),
    (
        "delta_G",
        _("Organization of the grand ecosystem (delta_G)"),
        _("ratio"),
        _("Graph density of the whole co-creation graph of judged partners."),
    ),
    (
        "theta_G",
        _("Reliance on the grand ecosystem (theta_G)"),
        _("ratio"),
        _("Share of the value of its payments made without a co-creator (1 - theta_M)."),
    ),
    (
        "C_E_e",
        _("Value of the grand ecosystem (C_(E-e))"),
        _("currency"),
        _("Own performance (P) of every other judged partner that is not a direct co-creator, summed."),
    ),
    (
        "f_e",
        _("Coordination cost (f_e)"),
        _("currency"),
        _(
            "The fees and shares the partner pays to coordinate: the ledger records none paid by "
            "partners (they receive shares), so this term has no data until such costs are logged."
        ),
    ),
]


def _q(value, places=TWO):
    return None if value is None else Decimal(value).quantize(places, rounding=ROUND_HALF_UP)


def _shared_events(start, end, cutoff, currency: str) -> tuple[dict, dict]:
    """Links between partners through shared payments in the window, and per partner its gross
    payments and the part of them made with another partner (minor units of `currency`)."""
    vep, ve = ValueEventPartner._meta.db_table, ValueEvent._meta.db_table
    window = "e.occurred_on >= %s AND e.occurred_on <= %s AND e.logged_at <= %s AND e.kind = %s"
    params = [start, end, cutoff, ValueEvent.Kind.PAYMENT]
    links = defaultdict(int)
    value = {}
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT a.partner_id, b.partner_id, COUNT(*) FROM {vep} a "
            f"JOIN {vep} b ON b.event_id = a.event_id AND a.partner_id < b.partner_id "
            f"JOIN {ve} e ON e.id = a.event_id WHERE {window} GROUP BY a.partner_id, b.partner_id",
            params,
        )
        for a, b, n in cur.fetchall():
            links[(a, b)] += n
        cur.execute(
            f"SELECT a.partner_id, SUM(e.amount_minor), SUM(CASE WHEN EXISTS (SELECT 1 FROM {vep} b "
            f"WHERE b.event_id = a.event_id AND b.partner_id <> a.partner_id) THEN e.amount_minor ELSE 0 END) "
            f"FROM {vep} a JOIN {ve} e ON e.id = a.event_id WHERE {window} AND e.currency = %s "
            f"GROUP BY a.partner_id",
            [*params, currency],
        )
        for pid, gross, shared in cur.fetchall():
            value[pid] = (int(gross or 0), int(shared or 0))
    return links, value


def _density(nodes: set, edges: set) -> Decimal | None:
    n = len(nodes)
    if n < 2:
        return None
    present = sum(1 for a, b in edges if a in nodes and b in nodes)
    return _q(Decimal(present) / (n * (n - 1) // 2), FOUR)


def utilities(*, partner_ids, start, end, cutoff, performance: dict, margin: dict) -> dict[int, dict]:
    """Per partner: each term (None: no data), U and the missing terms, and its graph neighbours.
    `performance` is P in minor units of SCORING_CURRENCY per partner; `margin` the mean of
    (rating - expectation) on its solutions (None without ratings)."""
    cur = settings.SCORING_CURRENCY
    ids = set(partner_ids)
    links, value = _shared_events(start, end, cutoff, cur)
    providers = defaultdict(set)
    for sid, pid in Solution.provider_partners.through.objects.filter(partner_id__in=ids).values_list(
        "solution_id", "partner_id"
    ):
        providers[sid].add(pid)
    for group in providers.values():
        ordered = sorted(group)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                links[(a, b)] += 0  # a co-provided solution is a link even without a shared event
    edges = {(a, b) for a, b in links if a in ids and b in ids}
    neighbours = defaultdict(set)
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    delta_g = _density(ids, edges)
    p_major = {pid: from_minor(performance.get(pid, 0), cur) for pid in ids}
    total_p = sum(p_major.values(), Decimal(0))
    out = {}
    for pid in ids:
        p = p_major[pid]
        mine = neighbours.get(pid, set())
        m = margin.get(pid)
        d = None if m is None else max(Decimal(0), -Decimal(m))
        sigma_d = None if d is None else _q(p / SCALE_POINTS * d)
        gross, shared = value.get(pid, (0, 0))
        theta_m = _q(Decimal(shared) / gross, FOUR) if gross else None
        theta_g = None if theta_m is None else _q(1 - theta_m, FOUR)
        delta_m = _density({pid} | mine, edges)
        c_e = sum((p_major[j] for j in mine), Decimal(0))
        c_rest = total_p - p - c_e
        terms = {
            "P": _q(p),
            "sigma_d": sigma_d,
            "delta_M": delta_m,
            "theta_M": theta_m,
            "C_e": _q(c_e),
            "delta_G": delta_g,
            "theta_G": theta_g,
            "C_E_e": _q(c_rest),
            "f_e": None,  # no ledger input: partners pay no recorded fees
        }
        parts = {
            "P": terms["P"],
            "sigma_d": None if sigma_d is None else -sigma_d,
            "micro": None if None in (delta_m, theta_m) else _q(delta_m * theta_m * c_e),
            "grand": None if None in (delta_g, theta_g) else _q(delta_g * theta_g * c_rest),
            "f_e": None,
        }
        missing = sorted(k for k, v in terms.items() if v is None)
        total = _q(sum((v for v in parts.values() if v is not None), Decimal(0)))
        shown = sorted(mine, key=lambda j: (-links.get((min(pid, j), max(pid, j)), 0), j))[
            :GRAPH_NEIGHBOURS_SHOWN
        ]
        out[pid] = {
            "terms": {k: None if v is None else str(v) for k, v in terms.items()},
            "parts": {k: None if v is None else str(v) for k, v in parts.items()},
            "U": str(total),
            "missing": missing,
            "currency": cur,
            "graph": {
                "neighbours": [
                    {"id": j, "shared_events": links.get((min(pid, j), max(pid, j)), 0)} for j in shown
                ],
                "degree": len(mine),
            },
        }
    return out
