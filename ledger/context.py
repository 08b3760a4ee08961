"""Set-based loading of what validating a batch of events/signals needs (a few queries per batch).

The organization's date rules themselves (an ME seated in an EMC on a day, a partner creditable
there, an EMC open, an ME live) are `orgs.date_rules`: `OrgContext` asks them of the rows it
loaded once for the whole batch, the way `orgs.selectors` asks them of a queryset.
"""

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger.models import Contract
from ledger.posting.terms import Terms, terms_build, terms_load
from orgs import date_rules
from orgs.models import EMC, Category, EMCNode, EMCParticipation, Microenterprise, Partner, Solution

USER_REF_RE = re.compile(r"^[A-Za-z0-9_.:\-]{4,64}$")
PHONE_LIKE_RE = re.compile(r"^\+?[\d\-. ]{7,}$")


def user_ref_error(value: str) -> str | None:
    """Why `value` is not an acceptable pseudonymous reference, or None."""
    if not isinstance(value, str) or not value:
        return _("Give a pseudonymous user reference.")
    if "@" in value:
        return _("This looks like an e-mail address; use a pseudonymous reference, never contact details.")
    if PHONE_LIKE_RE.match(value) and sum(ch.isdigit() for ch in value) >= 7:
        return _("This looks like a phone number; use a pseudonymous reference, never contact details.")
    if not USER_REF_RE.match(value):
        return _("Use 4-64 characters: letters, digits, and _ - . :")
    return None


def local_date(moment: dt.datetime, tz: dt.tzinfo | None = None) -> dt.date:
    """The day of `moment` in `tz` (default: the current time zone; a batch passes it once)."""
    return timezone.localtime(moment, tz).date()


def occurred_at_error(moment, *, now: dt.datetime) -> str | None:
    """Check an occurred-at against the allowed window (settings), or None when fine."""
    if not isinstance(moment, dt.datetime):
        return _("Give a date and time.")
    if timezone.is_naive(moment):
        return _("Give the time with its time zone offset.")
    earliest = now - dt.timedelta(days=settings.LEDGER_BACKDATE_DAYS)
    latest = now + dt.timedelta(minutes=settings.LEDGER_FUTURE_MINUTES)
    if moment < earliest:
        return _("Too far in the past: events may be back-dated at most %(days)d days.") % {
            "days": settings.LEDGER_BACKDATE_DAYS
        }
    if moment > latest:
        return _("In the future: events may be dated at most %(minutes)d minutes ahead.") % {
            "minutes": settings.LEDGER_FUTURE_MINUTES
        }
    return None


@dataclass
class OrgContext:
    """What a batch refers to, loaded once: MEs, EMCs, nodes, scenarios, solutions, partners."""

    mes: dict[int, Microenterprise] = field(default_factory=dict)
    emcs: dict[int, dict] = field(default_factory=dict)
    nodes: dict[tuple[int, int], list[tuple[dt.date, dt.date | None]]] = field(default_factory=dict)
    emc_scenarios: set[tuple[int, int]] = field(default_factory=set)
    solutions: dict[int, int] = field(default_factory=dict)  # solution id -> scenario id
    solution_names: dict[int, str] = field(default_factory=dict)
    # solution id -> {category id: name} of the categories it bundles (none: it restricts nothing)
    solution_categories: dict[int, dict[int, str]] = field(default_factory=dict)
    categories: set[int] = field(default_factory=set)
    category_names: dict[int, str] = field(default_factory=dict)
    participations: dict[tuple[int, int], list[tuple[dt.date, dt.date | None]]] = field(default_factory=dict)
    partners: dict[int, dict] = field(default_factory=dict)
    other_me_codes: dict[int, str] = field(default_factory=dict)  # node MEs of the contracts
    accounts: dict[str, int] = field(default_factory=dict)  # code -> id, prefetched (PostgreSQL)
    # MEs of the batch and node MEs of its contracts that are no longer live (split, merged,
    # dissolved): id -> (code, status, ended_on); usually empty
    ended_mes: dict[int, tuple[str, str, dt.date | None]] = field(default_factory=dict)
    _creditable: dict[tuple, bool] = field(default_factory=dict)

    def me_in_emc(self, emc_id: int, me_id: int, on: dt.date) -> bool:
        emc = self.emcs.get(emc_id)
        if emc is None:
            return False
        return date_rules.me_seated_on(emc["lead_me_id"], me_id, self.nodes.get((emc_id, me_id), ()), on)

    def note_bundles(self, rows) -> None:
        """Note (solution id, category id, category name) rows: what each solution bundles."""
        for solution_id, category_id, name in rows:
            self.solution_categories.setdefault(solution_id, {})[category_id] = name

    def note_me(self, pk: int, code: str, status: str, ended_on: dt.date | None) -> None:
        if status not in Microenterprise.LIVE_STATUSES:  # may have ended by some day
            self.ended_mes[pk] = (code, status, ended_on)

    def me_ended_by(self, me_id: int, on: dt.date) -> str | None:
        """The code of the ME when it was no longer live on `on` (split, merged, dissolved)."""
        ended = self.ended_mes.get(me_id)
        if ended is None:
            return None
        code, status, ended_on = ended
        return None if date_rules.me_live_on(status, ended_on, on) else code

    def emc_open_on(self, emc_id: int, on: dt.date) -> bool:
        emc = self.emcs[emc_id]
        return date_rules.emc_open_on(emc["formed_on"], emc["ended_on"], on)

    def partner_creditable(self, emc_id: int, partner_id: int, on: dt.date) -> bool:
        key = (emc_id, partner_id, on)
        known = self._creditable.get(key)
        if known is None:  # memoized: an import asks the same few (EMC, partner, day) questions
            partner = self.partners.get(partner_id)
            known = partner is not None and date_rules.partner_creditable_on(
                partner["state"], self.participations.get((emc_id, partner_id), ()), on
            )
            self._creditable[key] = known
        return known


def org_context_load(
    *,
    me_ids: set[int],
    emc_ids: set[int],
    scenario_ids: set[int] = frozenset(),
    solution_ids: set[int] = frozenset(),
    category_ids: set[int] = frozenset(),
    partner_ids: set[int] = frozenset(),
) -> OrgContext:
    """Load everything a batch refers to in at most seven queries, whatever the batch size."""
    ctx = OrgContext()
    me_ids, emc_ids = {i for i in me_ids if i}, {i for i in emc_ids if i}
    if me_ids:
        ctx.mes = {
            m.pk: m
            for m in Microenterprise.objects.filter(pk__in=me_ids).only(
                "id", "code", "leader_id", "status", "ended_on"
            )
        }
        for m in ctx.mes.values():
            ctx.note_me(m.pk, m.code, m.status, m.ended_on)
    if emc_ids:
        ctx.emcs = {
            e["id"]: e
            for e in EMC.objects.filter(pk__in=emc_ids).values(
                "id", "code", "lead_me_id", "formed_on", "ended_on"
            )
        }
    if emc_ids and me_ids:
        nodes = defaultdict(list)
        for emc_id, me_id, joined, left in EMCNode.objects.filter(
            emc_id__in=emc_ids, me_id__in=me_ids
        ).values_list("emc_id", "me_id", "joined_on", "left_on"):
            nodes[(emc_id, me_id)].append((joined, left))
        ctx.nodes = dict(nodes)
    scenario_ids = {i for i in scenario_ids if i}
    if emc_ids and scenario_ids:
        through = EMC.scenarios.through
        ctx.emc_scenarios = set(
            through.objects.filter(emc_id__in=emc_ids, scenario_id__in=scenario_ids).values_list(
                "emc_id", "scenario_id"
            )
        )
    solution_ids = {i for i in solution_ids if i}
    if solution_ids:
        for pk, scenario_id, name in Solution.objects.filter(pk__in=solution_ids).values_list(
            "id", "scenario_id", "name"
        ):
            ctx.solutions[pk], ctx.solution_names[pk] = scenario_id, name
        ctx.note_bundles(
            Solution.categories.through.objects.filter(solution_id__in=solution_ids).values_list(
                "solution_id", "category_id", "category__name"
            )
        )
    category_ids = {i for i in category_ids if i}
    if category_ids:
        ctx.category_names = dict(Category.objects.filter(pk__in=category_ids).values_list("id", "name"))
        ctx.categories = set(ctx.category_names)
    partner_ids = {i for i in partner_ids if i}
    if partner_ids:
        ctx.partners = {
            p["id"]: p
            for p in Partner.objects.filter(pk__in=partner_ids).values("id", "code", "state", "name")
        }
        parts = defaultdict(list)
        for emc_id, partner_id, started, ended in EMCParticipation.objects.filter(
            emc_id__in=emc_ids, partner_id__in=partner_ids
        ).values_list("emc_id", "partner_id", "started_on", "ended_on"):
            parts[(emc_id, partner_id)].append((started, ended))
        ctx.participations = dict(parts)
    return ctx


# ledger_posting_context (ledger/sql/posting_context.v1.sql) returns tagged generic rows
# (tag, i1, i2, i3, t1, t2, t3, d1, d2, n1): per tag, the columns making each result's tuple,
# in the order `_context_from_rows` reads them
CONTEXT_SHAPES = (
    (1, 4, 2, 5, 7),  # mes: id, code, leader_id, status, ended_on
    (1, 4, 2, 7, 8),  # emcs: id, code, lead_me_id, formed_on, ended_on
    (1, 2, 7, 8),  # nodes: emc_id, me_id, joined_on, left_on
    (1, 2),  # emc scenarios: emc_id, scenario_id
    (1, 2, 4),  # solutions: id, scenario_id, name
    (1, 2, 4),  # bundles: solution_id, category_id, category name
    (1, 4),  # categories: id, name
    (1, 4, 5, 6),  # partners: id, code, state, name
    (1, 2, 7, 8),  # participations: emc_id, partner_id, started_on, ended_on
    (1, 2, 3, 7, 4, 9),  # contracts: id, emc_id, version, effective_from, currency, fee
    (1, 2, 9),  # partner shares: contract_id, partner_id, share_pct
    (1, 2, 9),  # node shares: contract_id, me_id, share_pct
    (1, 4, 5, 7),  # node MEs: id, code, status, ended_on
    (4, 1),  # accounts: code, id
)

_CONTEXT_SQL = (
    "SELECT * FROM ledger_posting_context(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[],"
    " %s::bigint[], %s::bigint[], %s::text, %s::date, %s::text[])"
)


def posting_context_load(
    *,
    me_ids: set[int],
    emc_ids: set[int],
    scenario_ids: set[int],
    solution_ids: set[int],
    category_ids: set[int],
    partner_ids: set[int],
    terms_until: dt.date | None,
    currencies: set[str] = frozenset(),
) -> tuple[OrgContext, dict[int, list[Terms]]]:
    """What validating and writing a batch of events needs: the org context, the approved
    contracts of its EMCs effective by `terms_until`, and the codes of their node MEs.

    On PostgreSQL all of it, and the accounts the splits may credit, comes in ONE round trip,
    one call of the function `ledger_posting_context` (its plans kept for the session): the
    single-event path is dominated by round trips, planning and ORM query building. Elsewhere
    (SQLite) the same data comes from the ORM loaders above, a query each.
    """
    me_ids, emc_ids = {i for i in me_ids if i}, {i for i in emc_ids if i}
    scenario_ids, solution_ids = {i for i in scenario_ids if i}, {i for i in solution_ids if i}
    category_ids, partner_ids = {i for i in category_ids if i}, {i for i in partner_ids if i}
    ids = {
        "me_ids": me_ids,
        "emc_ids": emc_ids,
        "scenario_ids": scenario_ids,
        "solution_ids": solution_ids,
        "category_ids": category_ids,
        "partner_ids": partner_ids,
    }
    if connection.vendor != "postgresql":
        return _orm_posting_context(ids, terms_until)
    return _sql_posting_context(ids, terms_until, currencies)


def _orm_posting_context(ids: dict, terms_until) -> tuple[OrgContext, dict[int, list[Terms]]]:
    """The ORM loaders, a query each (SQLite)."""
    ctx = org_context_load(**ids)
    terms = terms_load(emc_ids=set(ctx.emcs), until=terms_until) if terms_until and ctx.emcs else {}
    node_me_ids = {me_id for ts in terms.values() for t in ts for me_id, _pct in t.node_pcts}
    missing = node_me_ids - set(ctx.mes)
    if missing:
        for pk, code, status, ended_on in Microenterprise.objects.filter(pk__in=missing).values_list(
            "id", "code", "status", "ended_on"
        ):
            ctx.other_me_codes[pk] = code
            ctx.note_me(pk, code, status, ended_on)
    return ctx, terms


def _sql_posting_context(ids: dict, terms_until, currencies) -> tuple[OrgContext, dict[int, list[Terms]]]:
    """The lookups in one call of `ledger_posting_context` (PostgreSQL): its statements' plans
    are kept for the session, where a multi-statement string was planned again on every call."""
    params = [
        sorted(ids["me_ids"]),
        sorted(ids["emc_ids"]),
        sorted(ids["scenario_ids"]),
        sorted(ids["solution_ids"]),
        sorted(ids["category_ids"]),
        sorted(ids["partner_ids"]),
        Contract.Status.APPROVED,
        terms_until or dt.date(1, 1, 1),  # no day: no contract row (a date before any contract)
        sorted(currencies),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_CONTEXT_SQL, params)
        rows = cursor.fetchall()
    results = [[] for _shape in CONTEXT_SHAPES]
    for row in rows:
        tag = row[0] - 1
        results[tag].append(tuple(row[i] for i in CONTEXT_SHAPES[tag]))
    return _context_from_rows(results, terms_until)


# the ME fields a posting loads, in the model's concrete order (from_db takes values in it)
_ME_FIELDS = [
    f.attname
    for f in Microenterprise._meta.concrete_fields
    if f.attname in ("id", "code", "status", "leader_id", "ended_on")
]


def _context_from_rows(results: list, terms_until) -> tuple[OrgContext, dict[int, list[Terms]]]:
    """The context from the fourteen results of `ledger_posting_context`, in its tags' order."""
    (
        mes,
        emcs,
        nodes,
        scens,
        sols,
        bundles,
        cats,
        partners,
        parts,
        contracts,
        pshares,
        nshares,
        node_codes,
        accounts,
    ) = results
    ctx = OrgContext()
    for pk, code, leader_id, status, ended_on in mes:
        # as the ORM path's .only(...): the fields not loaded are deferred, not defaults
        loaded = {"id": pk, "code": code, "status": status, "leader_id": leader_id, "ended_on": ended_on}
        me = Microenterprise.from_db("default", _ME_FIELDS, [loaded[name] for name in _ME_FIELDS])
        ctx.mes[pk] = me
        ctx.note_me(pk, code, status, ended_on)
    ctx.emcs = {
        pk: {"id": pk, "code": code, "lead_me_id": lead, "formed_on": formed, "ended_on": ended}
        for pk, code, lead, formed, ended in emcs
    }
    node_map = defaultdict(list)
    for emc_id, me_id, joined, left in nodes:
        node_map[(emc_id, me_id)].append((joined, left))
    ctx.nodes = dict(node_map)
    ctx.emc_scenarios = set(scens)
    for pk, scenario_id, name in sols:
        ctx.solutions[pk], ctx.solution_names[pk] = scenario_id, name
    ctx.note_bundles(bundles)
    ctx.category_names = dict(cats)
    ctx.categories = set(ctx.category_names)
    ctx.partners = {
        pk: {"id": pk, "code": code, "state": state, "name": name} for pk, code, state, name in partners
    }
    part_map = defaultdict(list)
    for emc_id, partner_id, started, ended in parts:
        part_map[(emc_id, partner_id)].append((started, ended))
    ctx.participations = dict(part_map)
    for pk, code, status, ended_on in node_codes:
        if pk not in ctx.mes:
            ctx.other_me_codes[pk] = code
            ctx.note_me(pk, code, status, ended_on)
    ctx.accounts = dict(accounts)
    terms = terms_build(contracts, pshares, nshares) if ctx.emcs and terms_until else {}
    return ctx, terms
