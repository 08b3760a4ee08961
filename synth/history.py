"""A year of value events, refunds and user signals, drawn day by day from a plan.

The history is cut into batches in the order they are recorded: each batch holds what the
ME leaders logged up to a moment of a day (`Batch.now`, the posting's recorded time), so a
nightly job that works by recorded-time cut-offs sees a history logged day by day, with a few
events logged one to three days late. Everything obeys the rules the posting engine enforces:
the ME holds a seat in the EMC on the event's day, the contract in force gives every credited
partner a share, the partner takes part in the EMC that day and is still creditable when the
batch is posted, the amount is in the contract's currency, a refund comes at least two days
after its payment was recorded and never exceeds it.

Believable shape: a weekly rhythm, shopping festivals (618, Singles' Day), a Spring Festival
lull, about +40% growth over the year, EMCs forming during it, repeat users (a fixed population
of end users with loyalty classes; life-long users come back most and show all four signals of
metrics 8-11: they rate above expectation, co-create, share stories, own several products).
"""

import datetime as dt
import random
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate

from ledger.models import UserSignal, ValueEvent
from ledger.posting.specs import ValueEventSpec
from ledger.user_signals import UserSignalSpec
from synth.plan import DAY, PartnerPlan, Plan

MAX_BATCH = 5_000  # events per posting (one DB transaction): a busy day is logged in several
LATE_SHARE = 0.04  # events logged one to three days after they happened
REFUND_SHARE = 0.03
GROWTH = 0.4  # the last day sells this much more than the first, all else equal
AMOUNT_FACTORS = (0.5, 0.8, 1, 1, 1, 1, 1.2, 1.5, 2)
HOURS = list(range(7, 23))
HOUR_WEIGHTS = [1, 2, 3, 4, 4, 5, 4, 3, 3, 4, 5, 6, 7, 7, 5, 3]
CO_CREATION_KINDS = UserSignal.CoCreationKind.values
PAYMENT, REFUND = ValueEvent.Kind.PAYMENT, ValueEvent.Kind.REFUND


@dataclass(slots=True)
class Ids:
    """Database ids of the plan's rows, by plan index."""

    mes: list[int]
    emcs: list[int]
    scenarios: list[int]
    solutions: list[int]
    categories: list[int]
    partners: list[int]


@dataclass(slots=True)
class RefundDue:
    key: int  # the payment's key (its id is known once its batch is posted)
    amount_minor: int
    user_ref: str
    currency: str
    occurred_at: dt.datetime


@dataclass(slots=True)
class Batch:
    number: int
    day: dt.date  # the recording day
    now: dt.datetime  # when it is recorded (the posting's `now`)
    payments: list[ValueEventSpec] = field(default_factory=list)
    keys: list[int | None] = field(default_factory=list)  # per payment: key if a refund needs its id
    refunds: list[RefundDue] = field(default_factory=list)
    signals: list[UserSignalSpec] = field(default_factory=list)
    exits: list[tuple[int, str]] = field(default_factory=list)  # (partner, action) before posting
    refund_specs: list[ValueEventSpec] = field(default_factory=list)  # `refunds` with their payment ids

    @property
    def events(self) -> int:
        return len(self.payments) + len(self.refunds)


def timeline_steps(partner: PartnerPlan) -> list[tuple[str, dt.date]]:
    """The lifecycle steps of a partner that happen during the history, in order: from its
    phase-out inside the history on (the posting engine credits only partners that are still
    creditable when a batch is posted, so a phase-out is applied on its day)."""
    if partner.exit_on is None:
        return []
    k = next(i for i, (a, on) in enumerate(partner.steps) if a == "phase_out" and on == partner.exit_on)
    return partner.steps[k:]


def day_weight(day: dt.date, first_day: dt.date, days: int) -> float:
    """Relative sales of a day: weekly rhythm, festivals, Spring Festival lull, growth."""
    weight = (1.0, 0.95, 0.95, 1.0, 1.15, 1.4, 1.35)[day.weekday()]
    md = (day.month, day.day)
    if md == (11, 11):
        weight *= 4.0
    elif (11, 1) <= md <= (11, 12):
        weight *= 1.5
    elif md == (6, 18):
        weight *= 2.5
    elif (6, 1) <= md <= (6, 19):
        weight *= 1.3
    elif (1, 25) <= md <= (2, 12):
        weight *= 0.6
    elif (12, 20) <= md <= (12, 31):
        weight *= 1.2
    return weight * (1 + GROWTH * (day - first_day).days / max(1, days - 1))


def daily_counts(total: int, first_day: dt.date, days: int) -> list[int]:
    """`total` split over the days by their weights, summing exactly to `total`."""
    weights = [day_weight(first_day + k * DAY, first_day, days) for k in range(days)]
    whole = sum(weights)
    cum, counts, before = 0.0, [], 0
    for w in weights:
        cum += w
        upto = round(total * cum / whole)
        counts.append(upto - before)
        before = upto
    return counts


class HistoryGenerator:
    """Draws the batches of a history (or of one more day: a night) from a plan and a seed."""

    def __init__(self, plan: Plan, ids: Ids, *, tz: dt.tzinfo):
        self.plan, self.ids, self.tz = plan, ids, tz
        self.key_seq = 0
        self.batch_seq = 0
        self.late: dict[dt.date, list] = defaultdict(list)
        self.refunds_due: dict[dt.date, list[RefundDue]] = defaultdict(list)
        emcs = plan.emcs
        self.user_cum = [list(accumulate(e.user_weights)) for e in emcs]
        self.users = plan.users
        self.prices = [c[4] for c in plan.categories]
        self.releases = defaultdict(list)  # scenario -> [(first release, solution index)]
        for k, sol in enumerate(plan.solutions):
            self.releases[sol.scenario].append((sol.releases[0], k))
        # per EMC: [(contract start, [(partner, started, ended, exit_on)])], newest first
        self.windows = []
        for e, emc in enumerate(emcs):
            versions = []
            for start, shares, _factor in emc.contracts:
                rows = [
                    (p, part.started_on, part.ended_on, plan.partners[p].exit_on)
                    for p in sorted(shares)
                    for part in plan.partners[p].participations
                    if part.emc == e
                ]
                versions.append((start, rows))
            versions.sort(key=lambda v: v[0], reverse=True)
            self.windows.append(versions)
        self.seats = [e.seats or [(m, e.formed_on, None) for m, _w in e.nodes] for e in emcs]
        self._seat_cache: dict[tuple, list[int]] = {}
        self.static_seats = [
            [m for m, _j, _l in seats]
            if all(j == e.formed_on and left is None for _m, j, left in seats)
            else None
            for e, seats in zip(emcs, self.seats, strict=True)
        ]
        self.formed = sorted({e.formed_on for e in emcs})
        self._open_key = None
        self._open = ([], [])
        self._partner_cache: dict[tuple, list[int]] = {}
        # lifecycle steps applied during the history (a phase-out, maybe a re-application)
        self.exits: dict[dt.date, list[tuple[int, str]]] = defaultdict(list)
        for p, partner in enumerate(plan.partners):
            for action, on in timeline_steps(partner):
                self.exits[on].append((p, action))

    # --- what is open on a day ---------------------------------------------------------------

    def _open_emcs(self, day: dt.date) -> tuple[list[int], list[float]]:
        key = bisect_left(self.formed, day + DAY)  # how many formation dates are <= day
        if key != self._open_key:
            open_ = [
                e for e, emc in enumerate(self.plan.emcs) if emc.formed_on <= day and self._seated(e, day)
            ]
            self._open = (open_, list(accumulate(self.plan.emcs[e].popularity for e in open_)))
            self._open_key = key
        return self._open

    def _creditable(self, e: int, day: dt.date, recorded: dt.date) -> list[int]:
        key = (e, day, recorded)
        found = self._partner_cache.get(key)
        if found is None:
            found = []
            for start, rows in self.windows[e]:
                if start <= day:
                    found = [
                        p
                        for p, s, end, exit_on in rows
                        if s <= day and (end is None or day < end) and (exit_on is None or recorded < exit_on)
                    ]
                    break
            if len(self._partner_cache) > 50_000:
                self._partner_cache.clear()
            self._partner_cache[key] = found
        return found

    def _seated(self, e: int, day: dt.date) -> list[int]:
        static = self.static_seats[e]
        if static is not None:  # every seat from the EMC's forming on (days before are never asked)
            return static
        key = (e, day)
        found = self._seat_cache.get(key)
        if found is None:
            found = [m for m, joined, left in self.seats[e] if joined <= day and (left is None or day < left)]
            if len(self._seat_cache) > 50_000:
                self._seat_cache.clear()
            self._seat_cache[key] = found
        return found

    # --- drawing -----------------------------------------------------------------------------

    def _moment(self, rng: random.Random, day: dt.date) -> dt.datetime:
        hour = rng.choices(HOURS, HOUR_WEIGHTS)[0]
        return dt.datetime(
            day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=self.tz
        )

    def _payment(self, rng: random.Random, day: dt.date, recorded: dt.date, open_, cum):
        plan, ids = self.plan, self.ids
        e = open_[min(bisect_left(cum, rng.random() * cum[-1]), len(open_) - 1)]
        emc = plan.emcs[e]
        seated = self._seated(e, day)
        me = seated[rng.randrange(len(seated))]
        s = emc.scenarios[rng.randrange(len(emc.scenarios))]
        released = [k for first, k in self.releases.get(s, ()) if first <= day]
        solution = released[rng.randrange(len(released))] if released and rng.random() < 0.8 else None
        pool = plan.solutions[solution].categories if solution is not None else plan.scenarios[s][2]
        c = pool[rng.randrange(len(pool))]
        cum_users = self.user_cum[e]
        u = emc.users[min(bisect_left(cum_users, rng.random() * cum_users[-1]), len(cum_users) - 1)]
        price = self.prices[c] if emc.currency == "CNY" else max(5, self.prices[c] // 7)
        amount = int(price * AMOUNT_FACTORS[rng.randrange(len(AMOUNT_FACTORS))]) * 100 + rng.choice(
            (0, 0, 0, 50)
        )
        r = rng.random()
        partners = ()
        if r < 0.45:
            candidates = self._creditable(e, day, recorded)
            if candidates:
                k = 2 if r < 0.1 and len(candidates) > 1 else 1
                partners = tuple(sorted(ids.partners[p] for p in rng.sample(candidates, k)))
        spec = ValueEventSpec(
            kind=PAYMENT,
            me_id=ids.mes[me],
            emc_id=ids.emcs[e],
            scenario_id=ids.scenarios[s],
            solution_id=ids.solutions[solution] if solution is not None else None,
            category_id=ids.categories[c],
            user_ref=self.users[u].ref,
            amount_minor=amount,
            currency=emc.currency,
            occurred_at=self._moment(rng, day),
            customized=rng.random() < 0.15,
            partner_ids=partners,
        )
        return spec, u

    def _signals(
        self, rng: random.Random, spec: ValueEventSpec, u: int, day: dt.date
    ) -> list[UserSignalSpec]:
        user = self.users[u]
        loyalty = user.loyalty
        if loyalty == "interactive" and user.lifelong_from is not None and day >= user.lifelong_from:
            loyalty = "lifelong"
        p_rate, p_co, p_story, p_own = {
            "lifelong": (0.5, 0.12, 0.08, 0.06),
            "interactive": (0.35, 0.04, 0.02, 0.03),
            "transactional": (0.2, 0.005, 0.003, 0.01),
        }[loyalty]
        out = []
        base = {
            "me_id": spec.me_id,
            "emc_id": spec.emc_id,
            "scenario_id": spec.scenario_id,
            "solution_id": spec.solution_id,
            "user_ref": spec.user_ref,
            "occurred_at": spec.occurred_at + dt.timedelta(minutes=rng.randint(1, 20)),
        }
        if rng.random() < p_rate:
            if loyalty == "lifelong":
                expectation = rng.randint(3, 4)
                rating = min(5, expectation + rng.choice((1, 1, 2)))
            elif loyalty == "interactive":
                expectation = rng.randint(3, 5)
                rating = max(1, min(5, expectation + rng.choice((-1, 0, 0, 1))))
            else:
                expectation = rng.randint(2, 5)
                rating = max(1, min(5, expectation + rng.choice((-2, -1, 0, 0, 1))))
            out.append(UserSignalSpec(kind="rating", rating=rating, expectation=expectation, **base))
        if rng.random() < p_co:
            kind = CO_CREATION_KINDS[rng.randrange(len(CO_CREATION_KINDS))]
            out.append(UserSignalSpec(kind="co_creation", co_creation_kind=kind, **base))
        if rng.random() < p_story:
            out.append(UserSignalSpec(kind="story", note="Shared how the solution works at home", **base))
        if rng.random() < p_own:
            owned = {"lifelong": (5, 9), "interactive": (2, 5), "transactional": (1, 2)}[loyalty]
            out.append(
                UserSignalSpec(
                    kind="ownership",
                    products_owned=rng.randint(*owned),
                    related_purchase=loyalty == "lifelong" or rng.random() < 0.3,
                    **base,
                )
            )
        return out

    def day_batches(
        self, day: dt.date, count: int, rng: random.Random, *, last_day: dt.date
    ) -> Iterator[Batch]:
        """The batches recorded on `day`: its own `count` payments (but the few logged late),
        the late ones of earlier days, the refunds due, and the signals."""
        open_, cum = self._open_emcs(day)
        rows = []  # (occurred_at, kind, payload)
        if open_:
            for _n in range(count):
                late = rng.random() < LATE_SHARE and day < last_day
                recorded = min(last_day, day + rng.randint(1, 3) * DAY) if late else day
                spec, u = self._payment(rng, day, recorded, open_, cum)
                signals = self._signals(rng, spec, u, day)
                key = None
                if rng.random() < REFUND_SHARE:
                    refund_day = recorded + rng.randint(2, 30) * DAY
                    if refund_day <= last_day:
                        self.key_seq += 1
                        key = self.key_seq
                        amount = spec.amount_minor if rng.random() < 0.65 else spec.amount_minor // 2
                        self.refunds_due[refund_day].append(
                            RefundDue(
                                key, amount, spec.user_ref, spec.currency, self._moment(rng, refund_day)
                            )
                        )
                item = (spec.occurred_at, 0, (spec, key, signals))
                if recorded == day:
                    rows.append(item)
                else:
                    self.late[recorded].append(item)
        rows.extend(self.late.pop(day, ()))
        rows.extend((r.occurred_at, 1, r) for r in self.refunds_due.pop(day, ()))
        rows.sort(key=lambda row: (row[0], row[1]))
        exits = self.exits.get(day, [])
        end_of_day = dt.datetime(day.year, day.month, day.day, 23, 59, tzinfo=self.tz)
        if not rows:
            if exits:
                self.batch_seq += 1
                yield Batch(self.batch_seq, day, end_of_day, exits=list(exits))
            return
        for start in range(0, len(rows), MAX_BATCH):
            chunk = rows[start : start + MAX_BATCH]
            latest = chunk[-1][0]
            now = (
                min(end_of_day, latest + dt.timedelta(minutes=30))
                if start + MAX_BATCH < len(rows)
                else end_of_day
            )
            self.batch_seq += 1
            batch = Batch(self.batch_seq, day, now, exits=list(exits) if start == 0 else [])
            for _at, kind, payload in chunk:
                if kind == 1:
                    batch.refunds.append(payload)
                    continue
                spec, key, signals = payload
                batch.payments.append(spec)
                batch.keys.append(key)
                for signal in signals:
                    if signal.occurred_at > now:
                        signal.occurred_at = now
                    batch.signals.append(signal)
            yield batch

    def history_batches(self, events: int, *, seed: int) -> Iterator[Batch]:
        """Every batch of the plan's year holding about `events` value events (refunds
        included: payments are drawn so that, with the refunds they bring, the year holds
        about `events`)."""
        plan = self.plan
        payments = round(events / (1 + REFUND_SHARE * 0.93))  # refunds due after the end are dropped
        counts = daily_counts(payments, plan.first_day, plan.days)
        rng = random.Random(f"synth-history:{plan.scale.name}:{seed}:{events}")
        for k, count in enumerate(counts):
            yield from self.day_batches(plan.first_day + k * DAY, count, rng, last_day=plan.last_day)
