"""The Win-Win Value-Added Statement (共赢增值表) of an ME or an EMC for a period, and the legs
behind each of its lines. Read-only, set-based: the page for one ME and one month is seven
queries, whatever the number of events.

What each line is (per currency, never converted; amounts in minor units):

- *scope*: for an ME, the value events it logged (and their refunds and reversals); for an
  EMC, the value events logged in the EMC. The period holds a leg by its `effective_on`.
- (1) *user resources*: the active users of the scope by loyalty class, as the last nightly run
  on or before the period's end counted them (scoring.ClassCount); "no data" without a run.
- (2) *revenue*: the clearing legs of the scope (payments less refunds and reversals), split
  into core-category and ecosystem revenue by the event's category (scoring's definition,
  scoring/registry.py: ecosystem revenue is user-paid value from non-core categories), and by
  the user's loyalty class in the scope's per-user state (scoring.UserState: the class the
  nightly state holds now; it keeps one date only). A user without state is "not active".
- (3) *costs*: partner shares and the platform fee (the legs credited to partners' and the
  platform's accounts) and the ME's own costs (judging.CostEntry; for an EMC, those of its
  node MEs seated during the period). No entry logged: "no data", never a zero.
- (4) *marginal income*: revenue less partner shares and platform fee ("contribution"), and
  less own costs too when any are logged.
- (5) *value-added sharing*: what each party was credited from the scope's events: the MEs'
  accounts, partners, the platform, the EMC holdback.
- *Amoeba view*: value added = revenue less all costs but labour (partner shares, platform fee,
  own costs of every category but "labour"), divided by the hours worked (judging.HoursEntry);
  "no data" without hours or without cost entries.
- *reconciliation*: the clearing legs against the value events (payments less refunds whose
  transaction falls in the period, less the events whose reversal does), and against the sum of
  what the parties were credited (a balanced ledger: equal to the minor unit).
"""

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from judging.models import CostEntry, HoursEntry
from judging.periods import Period
from ledger.models import Account, Leg, Transaction, ValueEvent
from ledger.money import from_minor
from orgs.models import EMC, EMCNode, Microenterprise
from scoring.models import ClassCount, NightlyRun, UserState

CLASSES = (
    UserState.Klass.TRANSACTIONAL,
    UserState.Klass.INTERACTIVE,
    UserState.Klass.LIFELONG,
    UserState.Klass.LAPSED,
)
PARTIES = ("me", "partner", "platform", "emc_holdback")
NO_DATA = None  # shown as "no data"


def _event(field: str):
    """A field of the value event behind a leg: its own, or the reversed transaction's."""
    return Coalesce(
        F(f"transaction__value_event__{field}"), F(f"transaction__reverses__value_event__{field}")
    )


def _reversals(period: Period):
    return Transaction.objects.filter(
        kind=Transaction.Kind.REVERSAL, effective_on__gte=period.start, effective_on__lte=period.end
    )


def scope_transactions(*, scope: str, subject, period: Period) -> list[int]:
    """The transactions of the scope's value events of the period (an event's transaction is
    effective on its day) and of the period's reversals of the scope's events, each found by an
    index: the events by (me | emc, occurred_on), the reversals by effective_on."""
    key = "me_id" if scope == "me" else "emc_id"
    events = ValueEvent.objects.filter(
        **{key: subject.pk}, occurred_on__gte=period.start, occurred_on__lte=period.end
    ).values_list("transaction_id", flat=True)
    reversals = (
        _reversals(period)
        .filter(**{f"reverses__value_event__{key}": subject.pk})
        .values_list("id", flat=True)
    )
    return sorted(events.order_by().union(reversals.order_by(), all=True))


def scope_legs(*, scope: str, subject, period: Period, transactions: list[int] | None = None):
    """The legs of the scope's value events (and refunds, reversals) in the period: the legs of
    `scope_transactions` (given, or read here), found by their transaction.

    The transactions are read first and given as a list, not as a subquery: with a subquery
    PostgreSQL estimated the current month's legs from statistics that predate them (50 rows for
    38,245) and read every clearing leg of the month to keep 60 (646 ms at 3,000,000 events);
    without the legs' own date bound (every leg carries its transaction's day) it read every
    clearing leg ever. A list of ids is estimated as what it is."""
    if transactions is None:
        transactions = scope_transactions(scope=scope, subject=subject, period=period)
    return Leg.objects.filter(transaction_id__in=transactions)


def _klass(scope: str, subject):
    state = UserState.objects.filter(
        scope=UserState.Scope.ME if scope == "me" else UserState.Scope.EMC,
        scope_id=subject.pk,
        user_ref=OuterRef("user_ref"),
    ).values("klass")[:1]
    return Coalesce(Subquery(state), Value(UserState.Klass.LAPSED))


def revenue_legs(
    *, scope: str, subject, period: Period, transactions: list[int] | None = None, clearing_only: bool = True
):
    """The clearing legs of the scope, with `is_core` and the user's `klass` annotated.

    `clearing_only=False` leaves the account's kind to the caller (the statement groups by it):
    filtered in SQL, PostgreSQL estimates the one clearing account's legs as an average account's
    (3,552 for 3,030,000) and ANDs that index with the transactions', 90 ms for 60 legs."""
    legs = scope_legs(scope=scope, subject=subject, period=period, transactions=transactions)
    if clearing_only:
        legs = legs.filter(account__kind=Account.Kind.CLEARING)
    return legs.annotate(is_core=_event("category__is_core"), user_ref=_event("user_ref")).annotate(
        klass=_klass(scope, subject)
    )


def _money(minor: int | None, currency: str) -> str | None:
    return None if minor is None else str(from_minor(minor, currency))


def _users(scope: str, subject, period: Period) -> dict | None:
    run = (
        NightlyRun.objects.filter(run_date__lte=period.end, status=NightlyRun.Status.DONE, superseded=False)
        .order_by("-run_date")
        .values("pk")[:1]
    )
    rows = list(
        ClassCount.objects.filter(
            run_id=Subquery(run),
            scope=UserState.Scope.ME if scope == "me" else UserState.Scope.EMC,
            scope_id=subject.pk,
        ).values_list("klass", "users", "run__run_date")
    )
    if not rows:
        return NO_DATA
    counts = dict.fromkeys(CLASSES[:3], 0)
    for klass, users, _day in rows:
        counts[klass] = users
    return {"as_of": rows[0][2].isoformat(), **counts, "total": sum(counts.values())}


def _own_mes(scope: str, subject, period: Period) -> list[int] | Subquery:
    if scope == "me":
        return [subject.pk]
    return (
        EMCNode.objects.filter(emc=subject, joined_on__lte=period.end)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=period.start))
        .values("me_id")
    )


def statement(*, scope: str, subject: Microenterprise | EMC, period: Period) -> dict:
    """The statement as plain data (the page, the API and the CSV render the same dict)."""
    transactions = scope_transactions(scope=scope, subject=subject, period=period)
    legs = scope_legs(scope=scope, subject=subject, period=period, transactions=transactions)
    parties = defaultdict(lambda: defaultdict(int))  # currency -> (kind, code, name) -> received
    revenue = defaultdict(lambda: defaultdict(int))  # currency -> (core, klass) -> net
    legs_n = defaultdict(int)
    for currency, kind, me_code, me_name, p_code, p_name, total, n in (
        legs.exclude(account__kind=Account.Kind.CLEARING)
        .values_list(
            "currency",
            "account__kind",
            "account__me__code",
            "account__me__name",
            "account__partner__code",
            "account__partner__name",
        )
        .annotate(total=Sum("amount_minor"), n=Sum(Value(1)))
        .order_by()
    ):
        parties[currency][(kind, me_code or p_code or "", me_name or p_name or "")] -= total
        legs_n[currency] += n
    for currency, kind, is_core, klass, total in (
        revenue_legs(
            scope=scope, subject=subject, period=period, transactions=transactions, clearing_only=False
        )
        .values_list("currency", "account__kind", "is_core", "klass")
        .annotate(total=Sum("amount_minor"))
        .order_by()
    ):
        if kind != Account.Kind.CLEARING:
            continue
        revenue[currency][(bool(is_core), klass)] += total
    # the value events' own tally, for the reconciliation
    key = "me_id" if scope == "me" else "emc_id"
    signed = Case(
        When(kind=ValueEvent.Kind.REFUND, then=-F("amount_minor")),
        default=F("amount_minor"),
        output_field=IntegerField(),
    )
    in_period = Q(occurred_on__gte=period.start, occurred_on__lte=period.end)
    # the scope's own reversals of the period, not every reversal in the ledger's period
    reversed_in = Q(
        transaction_id__in=_reversals(period)
        .filter(**{f"reverses__value_event__{key}": subject.pk})
        .values("reverses_id")
    )
    events = {
        currency: (posted or 0) - (reversed_ or 0)
        for currency, posted, reversed_ in ValueEvent.objects.filter(**{key: subject.pk})
        .filter(in_period | reversed_in)
        .values_list("currency")
        .annotate(
            posted=Sum(signed, filter=in_period),
            reversed_=Sum(signed, filter=reversed_in),
        )
        .order_by()
    }
    own_mes = _own_mes(scope, subject, period)
    span = {"starts_on__gte": period.start, "starts_on__lte": period.end, "me_id__in": own_mes}
    costs = defaultdict(dict)
    for currency, category, total in (
        CostEntry.objects.filter(**span)
        .values_list("currency", "category")
        .annotate(t=Sum("amount_minor"))
        .order_by()
    ):
        costs[currency][category] = total
    hours = HoursEntry.objects.filter(**span).aggregate(h=Sum("hours"))["h"]
    hours = None if hours is None else Decimal(hours).quantize(Decimal("0.01"))
    users = _users(scope, subject, period)

    currencies = sorted(set(parties) | set(revenue) | set(events) | set(costs))
    out = {}
    for cur in currencies:
        rev = revenue.get(cur, {})
        by_class = {
            k: {
                "core": _money(rev.get((True, k), 0), cur),
                "ecosystem": _money(rev.get((False, k), 0), cur),
                "total": _money(rev.get((True, k), 0) + rev.get((False, k), 0), cur),
            }
            for k in CLASSES
        }
        core = sum(v for (c, _k), v in rev.items() if c)
        eco = sum(v for (c, _k), v in rev.items() if not c)
        total = core + eco
        received = parties.get(cur, {})

        def kind_total(kind, _r=received):
            return sum(v for (k, _c, _n), v in _r.items() if k == kind)

        partner_shares, fee = kind_total("partner"), kind_total("platform")
        own = costs.get(cur)
        own_total = sum(own.values()) if own else None
        contribution = total - partner_shares - fee
        value_added = None if own is None else contribution - (own_total - own.get("labour", 0))
        per_hour = (
            None
            if value_added is None or not hours
            else str((from_minor(value_added, cur) / hours).quantize(Decimal("0.01"), ROUND_HALF_UP))
        )
        credited = sum(received.values())
        out[cur] = {
            "revenue": {
                "total": _money(total, cur),
                "core": _money(core, cur),
                "ecosystem": _money(eco, cur),
                "by_class": by_class,
            },
            "costs": {
                "partner_shares": _money(partner_shares, cur),
                "platform_fee": _money(fee, cur),
                "own": None
                if own is None
                else {
                    "total": _money(own_total, cur),
                    "by_category": {c: _money(own.get(c, 0), cur) for c in CostEntry.Category.values},
                },
            },
            "marginal_income": {
                "contribution": _money(contribution, cur),
                "after_own_costs": None if own is None else _money(contribution - own_total, cur),
            },
            "sharing": {
                "mes": [
                    {"code": c, "name": n, "amount": _money(v, cur)}
                    for (k, c, n), v in sorted(received.items())
                    if k == "me"
                ],
                "partners": [
                    {"code": c, "name": n, "amount": _money(v, cur)}
                    for (k, c, n), v in sorted(received.items())
                    if k == "partner"
                ],
                "platform": _money(fee, cur),
                "holdback": _money(kind_total("emc_holdback"), cur),
                "total": _money(credited, cur),
            },
            "amoeba": {
                "value_added": _money(value_added, cur),
                "hours": None if not hours else str(hours),
                "per_hour": per_hour,
            },
            "reconciliation": {
                "events": _money(events.get(cur, 0), cur),
                "ledger_revenue": _money(total, cur),
                "credited": _money(credited, cur),
                "legs": legs_n.get(cur, 0),
                "events_match": events.get(cur, 0) == total,
                "balanced": credited == total,
            },
        }
    return {
        "scope": scope,
        "code": subject.code,
        "name": subject.name,
        "period": {
            "code": period.code,
            "kind": period.kind,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "users": users,
        "hours": None if not hours else str(hours),
        "currencies": out,
    }


def lines_behind(
    *,
    scope: str,
    subject,
    period: Period,
    line: str,
    currency: str = "",
    owner: str = "",
    core: str = "",
    klass: str = "",
):
    """The legs that make one line of the statement (the drill-down), newest first."""
    if line == "revenue":
        qs = revenue_legs(scope=scope, subject=subject, period=period)
        if core in ("1", "0"):
            qs = qs.filter(is_core=core == "1")
        if klass in CLASSES:
            qs = qs.filter(klass=klass)
    elif line in PARTIES:
        qs = scope_legs(scope=scope, subject=subject, period=period).filter(account__kind=line)
        if owner and line == "me":
            qs = qs.filter(account__me__code=owner)
        elif owner and line == "partner":
            qs = qs.filter(account__partner__code=owner)
    else:
        return Leg.objects.none()
    if currency:
        qs = qs.filter(currency=currency)
    return qs.select_related("account", "transaction").order_by("-effective_on", "-id")


def entries_behind(*, model, scope: str, subject, period: Period):
    return (
        model.objects.filter(
            starts_on__gte=period.start,
            starts_on__lte=period.end,
            me_id__in=_own_mes(scope, subject, period),
        )
        .select_related("me", "logged_by", *(("reversed_by",) if model is CostEntry else ()))
        .order_by("-starts_on", "-id")
    )


def period_of_day(day: dt.date) -> str:
    return f"{day:%Y-%m}"
