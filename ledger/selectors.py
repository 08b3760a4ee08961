"""Reads of the ledger: balances from daily rollups, contracts in force, the ME ledger,
progress to target. Each selector owns its filters and related-object loading."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from ledger.models import (
    Account,
    AccountDay,
    Contract,
    ContractGoal,
    ContractNodeShare,
    ContractPartnerShare,
    ContractTier,
    ImportBatch,
    Leg,
    PurposeIndicator,
    Transaction,
    UserSignal,
    ValueEvent,
)
from orgs.models import EMC, EMCNode, Microenterprise

# --- balances ------------------------------------------------------------------------------


def account_balance(*, account: Account | int, as_of: dt.date | None = None) -> int:
    """Net of the account's legs effective on or before `as_of` (debit > 0), from the rollup:
    the cost grows with the number of days that had postings, not with the number of legs."""
    account_id = account.pk if isinstance(account, Account) else account
    rows = AccountDay.objects.filter(account_id=account_id)
    if as_of is not None:
        rows = rows.filter(day__lte=as_of)
    return rows.aggregate(total=Sum("net_minor"))["total"] or 0


def balances(*, account_ids, as_of: dt.date | None = None) -> dict[int, int]:
    """Balances of many accounts in one query: {account_id: net minor units}."""
    ids = list(account_ids)
    rows = AccountDay.objects.filter(account_id__in=ids)
    if as_of is not None:
        rows = rows.filter(day__lte=as_of)
    found = dict(
        rows.values("account_id")
        .annotate(total=Sum("net_minor"))
        .values_list("account_id", "total")
        .order_by()
    )
    return {pk: found.get(pk, 0) for pk in ids}


def ledger_check_rollups() -> list[dict]:
    """Recompute the daily rollups from the legs; return every (account, day) that differs
    (the rollup's slots of a day are summed: striping is an implementation detail)."""
    from_legs = {
        (r["account_id"], r["effective_on"]): (r["net"], r["n"])
        for r in Leg.objects.values("account_id", "effective_on")
        .annotate(net=Sum("amount_minor"), n=Count("id"))
        .order_by()
    }
    from_days = {
        (r["account_id"], r["day"]): (r["net"], r["n"])
        for r in AccountDay.objects.values("account_id", "day")
        .annotate(net=Sum("net_minor"), n=Sum("legs"))
        .order_by()
    }
    diffs = []
    for key in sorted(set(from_legs) | set(from_days)):
        legs = from_legs.get(key, (0, 0))
        day = from_days.get(key, (0, 0))
        if legs != day:
            diffs.append({"account_id": key[0], "day": key[1], "legs": legs, "rollup": day})
    return diffs


def ledger_totals_by_currency() -> dict[str, int]:
    """Sum of every leg per currency: zero everywhere when the ledger is balanced."""
    return dict(Leg.objects.values_list("currency").annotate(total=Sum("amount_minor")).order_by())


# --- refunds -------------------------------------------------------------------------------


def refund_holdings(*, original_ids: set[int]) -> dict[int, dict[int, int]]:
    """{payment id: {account id: net}}: what each account still holds of each payment after its
    refunds (and reversals of refunds), one query. The clearing account's positive net is what
    may still be refunded; the posting engine splits refunds by these holdings.

    The payments' legs, their refunds' legs and the legs of reversed refunds are three index
    lookups joined by UNION ALL (one OR across the three joins made PostgreSQL scan every leg
    and transaction: a refund's cost grew with the whole ledger)."""
    ids = sorted(original_ids)
    if not ids:
        return {}

    def part(path: str, orig: str):
        return (
            Leg.objects.filter(**{f"{path}__in": ids})
            .values("account_id")
            .annotate(orig=F(orig), total=Sum("amount_minor"))
            .values_list("orig", "account_id", "total")
            .order_by()
        )

    payments = part("transaction__value_event__id", "transaction__value_event__id")
    refunds = part("transaction__value_event__original_id", "transaction__value_event__original_id")
    reversals = part(
        "transaction__reverses__value_event__original_id", "transaction__reverses__value_event__original_id"
    )
    holdings: dict[int, dict] = defaultdict(dict)
    for orig, account_id, total in payments.union(refunds, reversals, all=True):
        held = holdings[orig]
        held[account_id] = held.get(account_id, 0) + total
    return holdings


def refundable_minor(*, event: ValueEvent) -> int:
    """What may still be refunded of a payment (0 for refunds and reversed payments): the same
    figure the posting engine checks a refund against."""
    if (
        event.kind != ValueEvent.Kind.PAYMENT
        or Transaction.objects.filter(reverses_id=event.transaction_id).exists()
    ):
        return 0
    held = refund_holdings(original_ids={event.pk}).get(event.pk, {})
    return sum(amount for amount in held.values() if amount > 0)


# --- visibility ----------------------------------------------------------------------------


def visible_me_ids(*, user) -> set[int] | None:
    """MEs whose ledger the user may read; None means all (finance, auditors, admins)."""
    if user.has_perm("ledger.view_all"):
        return None
    led = set(Microenterprise.objects.filter(leader=user).values_list("id", flat=True))
    member = set(user.memberships.filter(left_on__isnull=True).values_list("me_id", flat=True))
    return led | member


def accounts_visible(*, user) -> QuerySet[Account]:
    qs = Account.objects.select_related("me", "emc", "partner")
    me_ids = visible_me_ids(user=user)
    return qs if me_ids is None else qs.filter(me_id__in=me_ids)


def value_events_visible(*, user) -> QuerySet[ValueEvent]:
    qs = ValueEvent.objects.select_related(
        "me", "emc", "scenario", "solution", "category", "transaction"
    ).prefetch_related("partners")
    me_ids = visible_me_ids(user=user)
    return qs if me_ids is None else qs.filter(me_id__in=me_ids)


def user_signals_visible(*, user) -> QuerySet[UserSignal]:
    qs = UserSignal.objects.select_related("me", "emc", "scenario", "solution")
    me_ids = visible_me_ids(user=user)
    return qs if me_ids is None else qs.filter(me_id__in=me_ids)


def purpose_indicators_visible(*, user) -> QuerySet[PurposeIndicator]:
    qs = PurposeIndicator.objects.select_related("me", "emc", "logged_by")
    me_ids = visible_me_ids(user=user)
    return qs if me_ids is None else qs.filter(me_id__in=me_ids)


def transactions_visible(*, user) -> QuerySet[Transaction]:
    """Transactions with their legs (two queries for any page); ME users see those touching
    their MEs' accounts."""
    qs = Transaction.objects.select_related(
        "recorded_by", "contract", "reverses", "reversed_by"
    ).prefetch_related(Prefetch("legs", queryset=Leg.objects.select_related("account").order_by("id")))
    me_ids = visible_me_ids(user=user)
    if me_ids is None:
        return qs
    return qs.filter(legs__account__me_id__in=me_ids).distinct()


def import_batches_visible(*, user) -> QuerySet[ImportBatch]:
    qs = ImportBatch.objects.select_related("created_by")
    return qs if user.has_perm("ledger.view_all") else qs.filter(created_by=user)


# --- contracts -----------------------------------------------------------------------------


def contract_list() -> QuerySet[Contract]:
    """Contracts with their terms: four queries for the terms of any number of contracts, each
    ordered by its own columns (the models' default orderings would join the contract and its
    EMC again to order by them)."""
    return Contract.objects.select_related("emc", "created_by", "approved_by").prefetch_related(
        Prefetch("tiers", queryset=ContractTier.objects.order_by("contract_id", "threshold_pct")),
        Prefetch(
            "partner_shares",
            queryset=ContractPartnerShare.objects.select_related("partner").order_by(
                "contract_id", "partner__name", "partner_id"
            ),
        ),
        Prefetch(
            "node_shares",
            queryset=ContractNodeShare.objects.select_related("me").order_by("contract_id", "me__code"),
        ),
        Prefetch("goals", queryset=ContractGoal.objects.order_by("contract_id", "axis", "metric")),
    )


def contracts_visible(*, user) -> QuerySet[Contract]:
    """Contracts the user may read: all with ledger.view_all (finance, auditors, admins);
    otherwise those of EMCs that one of the user's MEs (led, or an open membership) leads or
    holds (or held) a node seat in. Subqueries only: no extra query for a list page."""
    qs = contract_list()
    if user.has_perm("ledger.view_all"):
        return qs
    led = Microenterprise.objects.filter(leader=user).values("id")
    member = user.memberships.filter(left_on__isnull=True).values("me_id")
    seats = EMCNode.objects.filter(Q(me_id__in=led) | Q(me_id__in=member)).values("emc_id")
    return qs.filter(Q(emc__lead_me_id__in=led) | Q(emc__lead_me_id__in=member) | Q(emc_id__in=seats))


def contract_in_force(*, emc: EMC | int, on: dt.date) -> Contract | None:
    """The approved contract with the greatest (effective_from, version) effective on `on`."""
    emc_id = emc.pk if isinstance(emc, EMC) else emc
    return (
        contract_list()
        .filter(emc_id=emc_id, status=Contract.Status.APPROVED, effective_from__lte=on)
        .order_by("-effective_from", "-version")
        .first()
    )


def period_bounds(period: str, on: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the contract period (month, quarter, year) containing `on`."""
    if period == Contract.Period.YEAR:
        return dt.date(on.year, 1, 1), dt.date(on.year, 12, 31)
    months = 3 if period == Contract.Period.QUARTER else 1
    first_month = (on.month - 1) // months * months + 1
    start = dt.date(on.year, first_month, 1)
    end_month = first_month + months
    end = (dt.date(on.year + 1, 1, 1) if end_month > 12 else dt.date(on.year, end_month, 1)) - dt.timedelta(
        days=1
    )
    return start, end


def user_paid_value(
    *, emc_ids=None, me_ids=None, start: dt.date, end: dt.date, currency: str | None = None
) -> int:
    """Payments minus refunds between two days (inclusive), ignoring reversed transactions."""
    qs = ValueEvent.objects.filter(
        occurred_on__gte=start, occurred_on__lte=end, transaction__reversed_by__isnull=True
    )
    if emc_ids is not None:
        qs = qs.filter(emc_id__in=emc_ids)
    if me_ids is not None:
        qs = qs.filter(me_id__in=me_ids)
    if currency:
        qs = qs.filter(currency=currency)
    return _signed_total(qs)


def _signed_total(qs) -> int:
    totals = dict(qs.values_list("kind").annotate(t=Sum("amount_minor")).order_by())
    return (totals.get(ValueEvent.Kind.PAYMENT) or 0) - (totals.get(ValueEvent.Kind.REFUND) or 0)


def contracts_in_force(*, emc_ids, on: dt.date) -> dict[int, Contract]:
    """The contract in force on `on` for each EMC, with its terms (six queries for any EMCs):
    the versions in force are found first, so only their terms are read, not every earlier
    version's."""
    in_force: dict[int, int] = {}
    for pk, emc_id in (
        Contract.objects.filter(
            emc_id__in=list(emc_ids), status=Contract.Status.APPROVED, effective_from__lte=on
        )
        .order_by("emc_id", "-effective_from", "-version")
        .values_list("id", "emc_id")
    ):
        in_force.setdefault(emc_id, pk)
    contracts = contract_list().in_bulk(list(in_force.values())) if in_force else {}
    return {emc_id: contracts[pk] for emc_id, pk in in_force.items()}


def period_daily_values(
    *, contracts: dict[int, Contract], on: dt.date, me_id: int | None = None
) -> tuple[dict, dict, dict]:
    """User-paid value (payments less refunds, reversed ones left out) per day of the current
    contract period up to `on`, in each contract's currency, in one query:
    ({emc_id: (start, end)}, {emc_id: {day: minor}} for the EMC, the same for ME `me_id`)."""
    bounds = {emc_id: period_bounds(contract.period, on) for emc_id, contract in contracts.items()}
    emc_daily: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    me_daily: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    if bounds:
        earliest = min(start for start, _end in bounds.values())
        rows = (
            ValueEvent.objects.filter(
                emc_id__in=list(bounds),
                occurred_on__gte=earliest,
                occurred_on__lte=on,
                transaction__reversed_by__isnull=True,
            )
            .values_list("emc_id", "me_id", "currency", "occurred_on", "kind")
            .annotate(total=Sum("amount_minor"))
            .order_by()
        )
        for emc_id, row_me_id, currency, day, kind, total in rows:
            start, _end = bounds[emc_id]
            if day < start or currency != contracts[emc_id].currency:
                continue
            signed = total if kind == ValueEvent.Kind.PAYMENT else -total
            emc_daily[emc_id][day] += signed
            if me_id is not None and row_me_id == me_id:
                me_daily[emc_id][day] += signed
    return bounds, emc_daily, me_daily


def contract_tiers(contract: Contract) -> list[dict]:
    """The contract's tiers with the period value (minor units) at which each applies."""
    return [
        {
            "threshold_pct": t.threshold_pct,
            "rate_pct": t.rate_pct,
            "at_minor": int(contract.target_minor * t.threshold_pct / 100),
        }
        for t in contract.tiers.all()
    ]


def progress_to_target(*, emc: EMC, on: dt.date | None = None) -> dict | None:
    """The contract in force and the period's user-paid value (up to `on`) against its target,
    with the cumulative daily series for a chart and the tier inflection points. The ME ledger
    page (ui_selectors.me_contracts_and_progress) computes the same figures for many EMCs."""
    on = on or timezone.localdate()
    contract = contracts_in_force(emc_ids=[emc.pk], on=on).get(emc.pk)
    if contract is None:
        return None
    bounds, emc_daily, _me = period_daily_values(contracts={emc.pk: contract}, on=on)
    start, end = bounds[emc.pk]
    daily = emc_daily[emc.pk]
    series, running = [], 0
    day = start
    while day <= min(end, on):
        running += daily.get(day, 0)
        series.append({"day": day.isoformat(), "value_minor": running})
        day += dt.timedelta(days=1)
    value = sum(daily.values())
    return {
        "contract": contract,
        "period_start": start,
        "period_end": end,
        "currency": contract.currency,
        "target_minor": contract.target_minor,
        "floor_minor": contract.floor_minor,
        "value_minor": value,
        "progress_pct": progress_pct(value, contract.target_minor),
        "tiers": contract_tiers(contract),
        "series": series,
    }


def progress_pct(value_minor: int, target_minor: int) -> Decimal | None:
    return (Decimal(value_minor) * 100 / target_minor).quantize(Decimal("0.1")) if target_minor else None


# --- the ME ledger -------------------------------------------------------------------------


def me_ledger_rows(*, me: Microenterprise, date_from: dt.date | None = None, date_to: dt.date | None = None):
    """The ME's value events, newest first, each with its transaction's legs (the split), the
    partners and the contract: a constant number of queries for any page of rows."""
    qs = (
        ValueEvent.objects.filter(me=me)
        .select_related("emc", "scenario", "solution", "category", "transaction__contract", "original")
        .prefetch_related(
            Prefetch("transaction__legs", queryset=Leg.objects.select_related("account").order_by("id")),
            "partners",
        )
        .order_by("-occurred_at", "-id")
    )
    if date_from:
        qs = qs.filter(occurred_on__gte=date_from)
    if date_to:
        qs = qs.filter(occurred_on__lte=date_to)
    return qs


def me_balances(*, me: Microenterprise, as_of: dt.date | None = None) -> list[dict]:
    """The ME's accounts with what it is owed (credit balance shown positive), two queries."""
    accounts = list(Account.objects.filter(me=me).order_by("currency"))
    nets = balances(account_ids=[a.pk for a in accounts], as_of=as_of)
    return [{"account": a, "net_minor": nets[a.pk], "owed_minor": -nets[a.pk]} for a in accounts]


def value_event_by_key(*, user, key: str) -> ValueEvent | None:
    """The event this user already logged with this one-time form token, if any."""
    if not key or not user.is_authenticated:
        return None
    return (
        ValueEvent.objects.filter(logged_by=user, idempotency_key=key).select_related("transaction").first()
    )


def value_events_visible_all() -> QuerySet[ValueEvent]:
    """Every event with what its rendering needs (for responses to a write just made)."""
    return ValueEvent.objects.select_related(
        "me", "emc", "scenario", "solution", "category", "transaction"
    ).prefetch_related("partners")


def balances_by_kind(*, as_of: dt.date | None = None) -> list[dict]:
    """Every account kind's total balance per currency, as the owners see it (what they are
    owed: credit-normal kinds negated), from the daily rollups: one query."""
    rows = AccountDay.objects.all()
    if as_of is not None:
        rows = rows.filter(day__lte=as_of)
    totals = rows.values("account__kind", "account__currency").annotate(net=Sum("net_minor")).order_by()
    labels = dict(Account.Kind.choices)
    out = [
        {
            "kind": r["account__kind"],
            "label": labels.get(r["account__kind"], r["account__kind"]),
            "currency": r["account__currency"],
            "balance_minor": r["net"] * (1 if r["account__kind"] in Account.DEBIT_NORMAL else -1),
        }
        for r in totals
    ]
    order = list(labels)
    return sorted(
        out, key=lambda r: (order.index(r["kind"]) if r["kind"] in order else len(order), r["currency"])
    )
