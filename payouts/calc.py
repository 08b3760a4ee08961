"""The payout rule (用户付薪, 超利分享) as pure functions: no database, integer minor units.

Sign convention: amounts are what the party is owed (positive) or owes back (negative).

For one EMC and one contract period (docs/payouts.md has the worked examples):

1. The EMC's user-paid value V (payments net of refunds and reversals, the clearing legs of its
   events) is walked day by day. The value of day d lies on the segment [cum, cum + v_d] of
   the EMC's cumulative value; the terms in force on d cut that segment into bands: nothing
   below the floor, the base rate from the floor up to the first inflection point, each tier's
   rate above its threshold (threshold % of the target). A negative day (refunds) walks back
   down the same bands, taking back what they paid.
2. Each node ME earns, on its share of the day's value (its node-share credits, net), the
   day's average band rate: incentive_m,d = v_m,d x (sum of band length x band rate) / v_d.
   The exact fractions are summed over the period and truncated toward zero once per ME.
3. The cap (per ME per contract period, from the version in force when the period starts)
   limits the accrued incentive.
4. Settlement of a line: the holdback (holdback % of the capped accrual) is kept and released
   `holdback_days` after the period ends; prior-period adjustments, the holdback released into
   this period and the balance carried in from the previous period are added; a negative
   balance, or one below the minimum payout, is carried forward: never a negative payment.
5. Members split the ME's payable by pay-share weight x days in force in the period, exactly
   (largest remainder); a co-investment is returned with `coinvest_return_pct` on top when the
   EMC met its target, and forfeited when it did not.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from ledger.allocation import floor_pct, largest_remainder

HUNDRED = Fraction(100)


@dataclass(frozen=True)
class RuleTerms:
    """The payout terms of one contract version (ledger.Contract and its tiers)."""

    contract_id: int
    version: int
    effective_from: dt.date
    target_minor: int
    base_rate_pct: Decimal
    floor_minor: int = 0
    cap_minor: int | None = None
    tiers: tuple[tuple[Decimal, Decimal], ...] = ()  # (threshold % of target, rate %), increasing
    holdback_pct: Decimal = Decimal(0)
    holdback_days: int = 0
    min_payout_minor: int = 0
    coinvest_return_pct: Decimal = Decimal(0)
    period: str = "month"
    currency: str = ""
    # thresholds of the tiers whose VAM vertical goal is not met: their band earns the highest
    # ungated rate below it (the rate of the band under it, itself perhaps gated)
    gated: frozenset = frozenset()

    def bands(self) -> list[tuple[Fraction | None, Fraction | None, Fraction, str]]:
        """(lower, upper, rate %, label) over the EMC's cumulative value, lowest first; None is
        unbounded (the lowest band reaches below zero, so a refund walks back the way it came)."""
        points = [(Fraction(0), Fraction(self.base_rate_pct), "base")]
        gated = {Decimal(t).normalize() for t in self.gated}
        for threshold, rate in self.tiers:
            start = Fraction(self.target_minor) * Fraction(threshold) / HUNDRED
            label = f"tier {Decimal(threshold).normalize():f}%"
            below = [p for p in points if p[0] < start]
            if Decimal(threshold).normalize() in gated:
                points = [*below, (start, below[-1][1], f"{label} (goal not met)")]
            else:
                points = [*below, (start, Fraction(rate), label)]
        floor = Fraction(self.floor_minor)
        bands = []
        if floor > 0:
            bands.append((None, floor, Fraction(0), "under floor"))
        for i, (lower, rate, label) in enumerate(points):
            upper = points[i + 1][0] if i + 1 < len(points) else None
            if upper is not None and upper <= floor:
                continue
            bands.append((max(lower, floor) if bands else None, upper, rate, label))
        return bands

    def band_at(self, value: int) -> tuple[str, Fraction]:
        """The band (label, rate %) the cumulative value `value` lies in."""
        for lower, upper, rate, label in self.bands():
            if (lower is None or value >= lower) and (upper is None or value < upper):
                return label, rate
        raise AssertionError("the bands cover every value")


def band_walk(terms: RuleTerms, start: int, delta: int) -> list[tuple[str, Fraction, Fraction]]:
    """The pieces of the segment start -> start + delta by band: (label, signed length, rate %)."""
    low, high = (start, start + delta) if delta >= 0 else (start + delta, start)
    sign = 1 if delta >= 0 else -1
    pieces = []
    for lower, upper, rate, label in terms.bands():
        a = Fraction(low) if lower is None else max(Fraction(low), lower)
        b = Fraction(high) if upper is None else min(Fraction(high), upper)
        if b > a:
            pieces.append((label, sign * (b - a), rate))
    return pieces


@dataclass
class MEAccrual:
    """What one node ME accrued in one EMC's period, with how."""

    me_id: int
    value_minor: int = 0
    events: int = 0
    exact: Fraction = Fraction(0)
    by_band: dict = field(default_factory=lambda: defaultdict(Fraction))  # label -> ME value
    rates: dict = field(default_factory=dict)  # label -> rate %
    versions: set = field(default_factory=set)

    @property
    def accrued_minor(self) -> int:
        return int(self.exact)  # truncated toward zero: never more than earned, nor clawed back


def emc_accrue(
    *,
    terms_on: "callable",
    emc_days: Iterable[tuple[dt.date, int]],
    me_days: Iterable[tuple[dt.date, int, int, int]],
) -> tuple[dict[int, MEAccrual], int]:
    """Accrue a period's incentive of an EMC's node MEs.

    `terms_on(day)` gives the RuleTerms in force on the day; `emc_days`: (day, EMC value of the
    day); `me_days`: (day, me_id, ME value of the day, events). Returns ({me_id: MEAccrual},
    the EMC's value for the period)."""
    by_day = defaultdict(list)
    for day, me_id, value, events in me_days:
        by_day[day].append((me_id, value, events))
    accruals: dict[int, MEAccrual] = {}
    cum = 0
    for day, emc_value in sorted(emc_days):
        terms = terms_on(day)
        pieces = band_walk(terms, cum, emc_value)
        for me_id, value, events in by_day.pop(day, ()):
            acc = accruals.setdefault(me_id, MEAccrual(me_id))
            acc.value_minor += value
            acc.events += events
            acc.versions.add(terms.version)
            if emc_value == 0:  # the day nets to zero for the EMC: the marginal rate
                label, rate = terms.band_at(cum)
                acc.exact += Fraction(value) * rate / HUNDRED
                acc.by_band[label] += value
                acc.rates[label] = rate
                continue
            for label, length, rate in pieces:
                share = Fraction(value) * length / emc_value
                acc.exact += share * rate / HUNDRED
                acc.by_band[label] += share
                acc.rates[label] = rate
        cum += emc_value
    for leftovers in by_day.values():  # ME value on a day the EMC had none (cannot balance)
        for me_id, value, events in leftovers:
            acc = accruals.setdefault(me_id, MEAccrual(me_id))
            acc.value_minor += value
            acc.events += events
    return accruals, cum


def cap_apply(accrued_minor: int, cap_minor: int | None) -> int:
    """The cap limits what an ME accrues in one EMC's contract period."""
    return accrued_minor if cap_minor is None else min(accrued_minor, cap_minor)


@dataclass(frozen=True)
class Settlement:
    held_back_minor: int
    balance_minor: int
    payable_minor: int
    carried_out_minor: int


def line_settle(
    *,
    capped_minor: int,
    holdback_pct: Decimal,
    min_payout_minor: int,
    adjustment_minor: int = 0,
    released_minor: int = 0,
    carried_in_minor: int = 0,
) -> Settlement:
    """Holdback, adjustments, release, carry: what is payable now and what carries forward."""
    held = floor_pct(capped_minor, holdback_pct) if capped_minor > 0 else 0
    balance = capped_minor - held + adjustment_minor + released_minor + carried_in_minor
    if balance <= 0 or balance < min_payout_minor:
        return Settlement(held, balance, 0, balance)
    return Settlement(held, balance, balance, 0)


def weight_days(
    memberships: Iterable[tuple[int, Decimal, dt.date, dt.date | None]], start: dt.date, end: dt.date
) -> dict[int, Decimal]:
    """Pay-share weight x days in force in [start, end] per person; a membership runs from
    `joined_on` to the day before `left_on` (orgs: a weight change ends one row and opens the next)."""
    out: dict[int, Decimal] = defaultdict(Decimal)
    for user_id, weight, joined_on, left_on in memberships:
        first = max(joined_on, start)
        last = min(end, left_on - dt.timedelta(days=1)) if left_on else end
        days = (last - first).days + 1
        if days > 0 and weight > 0:
            out[user_id] += Decimal(weight) * days
    return dict(out)


def members_split(payable_minor: int, weights: Mapping[int, Decimal]) -> dict[int, int]:
    """The ME's payable split exactly by weight-days (largest remainder, ties to the lower id)."""
    if payable_minor <= 0 or not weights:
        return dict.fromkeys(weights, 0)
    parts = largest_remainder(payable_minor, sorted(weights.items()))
    return {user_id: amount for user_id, (amount, _bonus) in parts.items()}


def coinvest_settle(amount_minor: int, *, bet_met: bool, return_pct: Decimal) -> tuple[int, int]:
    """(returned, forfeited): a met bet returns the co-investment with its share on top."""
    if bet_met:
        return amount_minor + floor_pct(amount_minor, return_pct), 0
    return 0, amount_minor
