"""Reads of the payouts app: the ledger's legs of a period, aggregated in SQL, and the terms."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import Coalesce

from ledger.models import Account, Contract, ContractTier, Leg, Transaction
from payouts.calc import RuleTerms
from payouts.models import PayoutAdjustment, PayoutLine, PayoutReport, TierGate
from scoring.models import NightlyRun, Snapshot

# credit-normal kinds: what the party is owed is minus the legs' sum; clearing is debit-normal
VALUE_KINDS = (
    Account.Kind.CLEARING,
    Account.Kind.ME,
    Account.Kind.PARTNER,
    Account.Kind.PLATFORM,
    Account.Kind.EMC_HOLDBACK,
)
EVENT_KINDS = (Transaction.Kind.PAYMENT, Transaction.Kind.REFUND, Transaction.Kind.REVERSAL)


def period_legs(*, currency: str, start: dt.date, end: dt.date, emc_ids=None) -> list[dict]:
    """The value legs that belong to [start, end], summed per (EMC, account kind, owner, value day).

    A leg belongs to the day of the payment it comes from: a refund's or a reversal's legs count
    on the refunded/reversed payment's day (docs/payouts.md). A refund comes after its payment,
    so only legs effective from `start` on are read: the period's events, never all history."""
    t = "transaction__"
    value_day = Coalesce(
        F(f"{t}value_event__original__occurred_on"),
        F(f"{t}value_event__occurred_on"),
        F(f"{t}reverses__value_event__original__occurred_on"),
        F(f"{t}reverses__value_event__occurred_on"),
    )
    emc = Coalesce(F(f"{t}value_event__emc_id"), F(f"{t}reverses__value_event__emc_id"))
    rows = (
        Leg.objects.filter(
            # the transaction's day is its legs' day: the legs' effective_on index (ledger 0015)
            # and the transactions' find the period's, never a scan of all history's legs
            effective_on__gte=start,
            currency=currency,
            account__kind__in=VALUE_KINDS,
            **{f"{t}effective_on__gte": start, f"{t}kind__in": EVENT_KINDS},
        )
        .annotate(value_day=value_day, emc=emc)
        .filter(value_day__gte=start, value_day__lte=end)
    )
    if emc_ids is not None:
        rows = rows.filter(emc__in=list(emc_ids))
    return list(
        rows.values("emc", "value_day", "account__kind", "account__me_id", "account__partner_id")
        .annotate(total=Sum("amount_minor"), events=Count("transaction", distinct=True))
        .order_by()
    )


def legs_by_party(rows: list[dict]) -> dict:
    """{emc: {"emc_days": {day: v}, "me_days": [(day, me, v, n)], "partners": {p: (v, n)},
    "platform": v, "holdback": v}} with values signed as owed to the party."""
    out = defaultdict(
        lambda: {
            "emc_days": defaultdict(int),
            "me_days": [],
            "partners": defaultdict(lambda: [0, 0]),
            "platform": 0,
            "holdback": 0,
            "events": 0,
        }
    )
    for row in rows:
        e = out[row["emc"]]
        kind, total = row["account__kind"], row["total"]
        if kind == Account.Kind.CLEARING:
            e["emc_days"][row["value_day"]] += total
            e["events"] += row["events"]
        elif kind == Account.Kind.ME:
            e["me_days"].append((row["value_day"], row["account__me_id"], -total, row["events"]))
        elif kind == Account.Kind.PARTNER:
            p = e["partners"][row["account__partner_id"]]
            p[0] -= total
            p[1] += row["events"]
        elif kind == Account.Kind.PLATFORM:
            e["platform"] -= total
        else:
            e["holdback"] -= total
    return dict(out)


def rule_terms_load(
    *, emc_ids=None, until: dt.date, currency: str | None = None
) -> dict[int, list[RuleTerms]]:
    """The approved contract versions effective by `until`, per EMC, oldest first (two queries)."""
    contracts = Contract.objects.filter(status=Contract.Status.APPROVED, effective_from__lte=until)
    if emc_ids is not None:
        contracts = contracts.filter(emc_id__in=list(emc_ids))
    if currency is not None:
        contracts = contracts.filter(currency=currency)
    rows = list(contracts.order_by("emc_id", "effective_from", "version"))
    tiers = defaultdict(list)
    for contract_id, threshold, rate in (
        ContractTier.objects.filter(contract__in=[c.pk for c in rows])
        .order_by("contract_id", "threshold_pct")
        .values_list("contract_id", "threshold_pct", "rate_pct")
    ):
        tiers[contract_id].append((threshold, rate))
    out = defaultdict(list)
    for c in rows:
        out[c.emc_id].append(
            RuleTerms(
                contract_id=c.pk,
                version=c.version,
                effective_from=c.effective_from,
                target_minor=c.target_minor,
                base_rate_pct=c.base_rate_pct,
                floor_minor=c.floor_minor,
                cap_minor=c.cap_minor,
                tiers=tuple(tiers[c.pk]),
                holdback_pct=c.holdback_pct,
                holdback_days=c.holdback_days,
                min_payout_minor=c.min_payout_minor,
                coinvest_return_pct=c.coinvest_return_pct,
                period=c.period,
                currency=c.currency,
            )
        )
    return dict(out)


def terms_in_force(versions: list[RuleTerms], on: dt.date) -> RuleTerms | None:
    """The version with the greatest (effective_from, version) effective on `on` (oldest-first list)."""
    found = None
    for terms in versions:
        if terms.effective_from <= on:
            found = terms
    return found


def days_changed_since(*, currency: str, since, before: dt.date) -> dict[dt.date, dt.datetime]:
    """Value days before `before` of the value transactions recorded after `since`, with the
    last recording time of each (one grouped query: which locked periods changed)."""
    t = Transaction.objects.filter(
        Q(value_event__currency=currency) | Q(reverses__value_event__currency=currency),
        kind__in=EVENT_KINDS,
        recorded_at__gt=since,
    ).annotate(
        value_day=Coalesce(
            F("value_event__original__occurred_on"),
            F("value_event__occurred_on"),
            F("reverses__value_event__original__occurred_on"),
            F("reverses__value_event__occurred_on"),
        )
    )
    rows = t.filter(value_day__lt=before).values("value_day").annotate(last=Max("recorded_at")).order_by()
    return {r["value_day"]: r["last"] for r in rows}


def accrual_paid(*, sources) -> dict[tuple[int, int, int], int]:
    """{(source report, EMC, ME): the accrual paid for the source's period so far}: its ME line's
    capped accrual plus the adjustments for it that locked reports have taken (two queries)."""
    out = defaultdict(int)
    for report_id, emc_id, me_id, capped in PayoutLine.objects.filter(
        report__in=sources, kind=PayoutLine.Kind.ME
    ).values_list("report_id", "emc_id", "me_id", "capped_minor"):
        out[(report_id, emc_id, me_id)] += capped
    for row in (
        PayoutAdjustment.objects.filter(source__in=sources, report__status=PayoutReport.Status.LOCKED)
        .values("source_id", "emc_id", "me_id")
        .annotate(total=Sum("amount_minor"))
        .order_by()
    ):
        out[(row["source_id"], row["emc_id"], row["me_id"])] += row["total"]
    return dict(out)


def tier_gates(contract_ids) -> dict[int, list[tuple[Decimal, str, Decimal]]]:
    """{contract: [(tier threshold %, goal metric, goal target)]} (one query)."""
    out = defaultdict(list)
    for contract_id, threshold, metric, target in (
        TierGate.objects.filter(contract_id__in=list(contract_ids))
        .order_by("contract_id", "tier__threshold_pct")
        .values_list("contract_id", "tier__threshold_pct", "goal__metric", "goal__target")
    ):
        out[contract_id].append((threshold, metric, target))
    return dict(out)


def goal_figures(*, emc_ids, metrics, start: dt.date, end: dt.date) -> dict[tuple[int, str], tuple]:
    """{(EMC, metric): (figure, day)}: the EMC's scoring figure of the last night scored in
    [start, end] (a current snapshot of a finished run; one query, newest first per key)."""
    rows = (
        Snapshot.objects.filter(
            subject_kind=Snapshot.Subject.EMC,
            subject_id__in=list(emc_ids),
            metric__in=list(metrics),
            day__gte=start,
            day__lte=end,
            superseded=False,
            run__status=NightlyRun.Status.DONE,
            run__superseded=False,
            value__isnull=False,
        )
        .order_by("subject_id", "metric", "-day")
        .values_list("subject_id", "metric", "value", "day")
    )
    out = {}
    for emc_id, metric, value, day in rows:
        out.setdefault((emc_id, metric), (value, day))
    return out


def released_holdbacks(*, currency: str, start: dt.date, end: dt.date) -> dict[tuple[int, int], int]:
    """Holdbacks kept by locked reports and released in [start, end], per (EMC, ME)."""
    rows = (
        PayoutLine.objects.filter(
            kind=PayoutLine.Kind.ME,
            currency=currency,
            release_on__gte=start,
            release_on__lte=end,
            held_back_minor__gt=0,
            report__status=PayoutReport.Status.LOCKED,
        )
        .values("emc_id", "me_id")
        .annotate(total=Sum("held_back_minor"))
        .order_by()
    )
    return {(r["emc_id"], r["me_id"]): r["total"] for r in rows}


def member_statement_lines(*, user):
    """A person's own member lines, newest period first."""
    return (
        PayoutLine.objects.filter(kind=PayoutLine.Kind.MEMBER, user=user)
        .select_related("report__period", "emc", "me")
        .order_by("-report__period__start", "emc__code")
    )


def report_totals(report) -> dict:
    """Totals of a report by line kind: value, accrued, payable (one currency per report)."""
    rows = (
        PayoutLine.objects.filter(report=report)
        .values("kind")
        .annotate(
            value=Sum("value_minor"),
            accrued=Sum("capped_minor"),
            payable=Sum("payable_minor"),
            lines=Count("id"),
            changed=Count("id", filter=~Q(previous_payable_minor=F("payable_minor"))),
        )
        .order_by()
    )
    return {r["kind"]: r for r in rows}
