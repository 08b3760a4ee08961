"""The synthetic ecosystem as plain data, drawn from a seed: the organization the generator
writes and everything the history needs to know about it.

Pure Python, no database: the same scale, seed, reference codes and first day give the same
plan, so a night added later rebuilds the plan of its history and finds every row by code.
Dates: the organization predates the history (MEs and most EMCs exist before its first day);
some EMCs form and many partners enter and leave during the year.
"""

import datetime as dt
import random
from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import accumulate

from synth.scales import Scale

DAY = dt.timedelta(days=1)
HISTORY_DAYS = 365
WEIGHT_HUNDREDTHS = 10_000  # member and node weights: percentages with two decimals, sum 100.00

ME_KINDS = [("node", 50), ("transforming", 25), ("incubating", 25)]
PARTNER_ROLES = [
    "iaas-network",
    "iot-service",
    "app-developer",
    "product-service",
    "solution-integrator",
    "technology",
    "consulting",
    "logistics",
    "design",
]
ROLE_WEIGHTS = [3, 5, 8, 30, 6, 8, 4, 6, 5]
TIERS = ["registered", "silver", "gold", "platinum"]
STANDARDS = [("iot-interop", "IoT interoperability"), ("service-quality", "Service quality")]
STANDARDS += [("data-security", "Data security"), ("green-supply", "Green supply chain")]
RESOURCES = [("iot-cloud", "IoT cloud"), ("logistics-network", "Logistics network")]
RESOURCES += [("design-lab", "Design lab"), ("user-community", "User community")]
RESOURCES += [("test-lab", "Test lab"), ("smart-factory", "Interconnected factory")]
SCENARIO_WORDS = [
    "balcony",
    "kitchen",
    "fitness",
    "cold-chain",
    "laundry",
    "bathroom",
    "air",
    "water",
    "wardrobe",
    "study",
    "garden",
    "elderly-care",
    "baby-care",
    "pet-care",
    "security",
    "lighting",
    "entertainment",
    "sleep",
    "parking",
    "clinic",
]
CATEGORY_WORDS = [
    "washers",
    "dryers",
    "refrigerators",
    "freezers",
    "ovens",
    "hobs",
    "dishwashers",
    "purifiers",
    "air-conditioners",
    "heaters",
    "water-heaters",
    "water-filters",
    "smart-hangers",
    "wardrobes",
    "lamps",
    "locks",
    "cameras",
    "speakers",
    "screens",
    "treadmills",
    "bikes",
    "weights",
    "vaccine-fridges",
    "cold-boxes",
    "sensors",
    "hubs",
    "mattresses",
    "cribs",
    "pet-feeders",
    "chargers",
]
SERVICE_WORDS = ["care", "install", "repair", "recipes", "coaching", "delivery", "insurance", "cloud"]
NAME_A = ["Blue", "Red", "Golden", "Silver", "Bright", "Swift", "Green", "North", "East", "Grand"]
NAME_A += ["Jade", "Pearl", "Cloud", "River", "Summit", "Harbor", "Lotus", "Maple", "Stone", "Sun"]
NAME_B = ["Tech", "Home", "Works", "Systems", "Labs", "Logistics", "Appliances", "Design", "Care"]
NAME_B += ["Networks", "Foods", "Motion", "Energy", "Devices", "Studio", "Services", "Supply"]
NAME_C = ["Co.", "Ltd", "Group", "Inc.", "Partners"]
PRICE_POINTS = [39, 69, 99, 199, 299, 499, 799, 1299, 1999, 2999, 4999, 8999]


@dataclass(slots=True)
class MEPlan:
    code: str
    name: str
    kind: str
    status: str  # incubating | active
    founded_on: dt.date
    members: list[tuple[str, int]]  # (username, weight in hundredths of a percent); [0] leads


@dataclass(slots=True)
class SolutionPlan:
    code: str
    name: str
    scenario: int
    categories: list[int]
    provider_mes: list[int]
    provider_partners: list[int]
    releases: list[dt.date]  # version 1, 2, ... (iterations come faster with users)


@dataclass(slots=True)
class EMCPlan:
    code: str
    name: str
    kind: str
    lead: int  # ME index; also the first node
    nodes: list[tuple[int, int]]  # (ME index, share weight in hundredths)
    scenarios: list[int]
    formed_on: dt.date
    popularity: float
    currency: str
    # seats as (ME index, joined, left or None); empty: every node sits from formed_on on
    seats: list[tuple[int, dt.date, dt.date | None]] = field(default_factory=list)
    users: list[int] = field(default_factory=list)  # end users who buy here
    user_weights: list[float] = field(default_factory=list)
    # contract versions: (effective_from, {partner index: share %}, target as % of expected)
    contracts: list[tuple[dt.date, dict[int, str], int]] = field(default_factory=list)
    fee_pct: str = "5"
    holdback_pct: str = "10"
    base_rate_pct: str = "10"


@dataclass(slots=True)
class Participation:
    emc: int
    started_on: dt.date
    ended_on: dt.date | None  # exclusive; set by leaving or by the partner's phase-out


@dataclass(slots=True)
class PartnerPlan:
    code: str
    name: str
    roles: list[str]
    industries: list[str]
    resources: list[str]
    applied_on: dt.date
    baseline_minor: int
    steps: list[tuple[str, dt.date]]  # lifecycle actions in order (admit, activate, watch...)
    tier_steps: list[tuple[str, dt.date]]  # (new tier, effective on)
    participations: list[Participation] = field(default_factory=list)
    certifications: list[tuple[str, dt.date]] = field(default_factory=list)
    exit_on: dt.date | None = None  # phased out during the history (applied in time order)


@dataclass(slots=True)
class EndUser:
    ref: str
    loyalty: str  # transactional | interactive | lifelong
    lifelong_from: dt.date | None  # when an interactive user turns life-long (all four signals)
    activity: float


@dataclass
class Plan:
    scale: Scale
    seed: int
    first_day: dt.date
    last_day: dt.date
    usernames: list[str]
    mes: list[MEPlan]
    scenarios: list[tuple[str, str, list[int]]]  # code, name, category indexes
    categories: list[tuple[str, str, bool, str, int]]  # code, name, core, ISIC class, price
    solutions: list[SolutionPlan]
    emcs: list[EMCPlan]
    partners: list[PartnerPlan]
    users: list[EndUser]

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def _weights_hundredths(rng: random.Random, n: int) -> list[int]:
    """n positive weights in hundredths of a percent summing to exactly 100.00 (the largest
    remainder goes to the first: a leader tends to hold the biggest share)."""
    raw = sorted((rng.randint(2, 10) for _ in range(n)), reverse=True)
    total = sum(raw)
    parts = [r * WEIGHT_HUNDREDTHS // total for r in raw]
    parts[0] += WEIGHT_HUNDREDTHS - sum(parts)
    return parts


def _sizes(rng: random.Random, total: int, count: int, low: int, high: int) -> list[int]:
    """`count` sizes between about low and high that add up to exactly `total`."""
    sizes = [rng.randint(low, high) for _ in range(count)]
    diff = total - sum(sizes)
    i = 0
    while diff:
        step = 1 if diff > 0 else -1
        if sizes[i % count] + step >= 1:
            sizes[i % count] += step
            diff -= step
        i += 1
    return sizes


def _partner_name(rng: random.Random, i: int) -> str:
    return f"{rng.choice(NAME_A)} {rng.choice(NAME_B)} {rng.choice(NAME_C)} {i:05d}"


def build_plan(*, scale: Scale, seed: int, last_day: dt.date, isic_classes: list[str]) -> Plan:
    """Draw the whole organization of a synthetic ecosystem from `seed`.

    `isic_classes`: the ISIC Rev. 4 class codes of the reference data, sorted (categories and
    partners are classified with them).
    """
    rng = random.Random(f"synth-plan:{scale.name}:{seed}")
    first_day = last_day - dt.timedelta(days=HISTORY_DAYS - 1)
    org_start = first_day - dt.timedelta(days=3 * 365)
    mid_year = first_day + dt.timedelta(days=HISTORY_DAYS // 2)

    # people and microenterprises
    usernames = [f"syn-{i:06d}" for i in range(1, scale.members + 1)]
    sizes = _sizes(rng, scale.members, scale.mes, 3, max(3, 2 * scale.members // scale.mes - 3))
    mes, cursor = [], 0
    kinds, kind_weights = zip(*ME_KINDS, strict=True)
    for i, size in enumerate(sizes, start=1):
        kind = rng.choices(kinds, kind_weights)[0]
        people = usernames[cursor : cursor + size]
        cursor += size
        mes.append(
            MEPlan(
                code=f"me-{i:05d}",
                name=f"{kind.capitalize()} ME {i}",
                kind=kind,
                status="incubating" if kind == "incubating" and rng.random() < 0.4 else "active",
                founded_on=org_start + dt.timedelta(days=rng.randrange(2 * 365)),
                members=list(zip(people, _weights_hundredths(rng, size), strict=True)),
            )
        )

    # categories, scenarios, solutions
    names = [f"{w}" for w in CATEGORY_WORDS] + [f"{w}-service" for w in SERVICE_WORDS]
    categories = []
    for i in range(scale.categories):
        word = names[i % len(names)]
        code = f"cat-{i + 1:03d}-{word}"
        core = word in CATEGORY_WORDS[:12]
        categories.append(
            (
                code,
                word.replace("-", " ").capitalize(),
                core,
                rng.choice(isic_classes),
                rng.choice(PRICE_POINTS),
            )
        )
    scenarios = []
    for i in range(scale.scenarios):
        word = SCENARIO_WORDS[i % len(SCENARIO_WORDS)]
        pool = sorted(rng.sample(range(scale.categories), k=min(scale.categories, rng.randint(3, 7))))
        scenarios.append((f"scn-{i + 1:03d}-{word}", f"Smart {word.replace('-', ' ')} {i + 1}", pool))

    # EMCs: most formed before the history, some during it (the ecosystem grows)
    live_for_nodes = [i for i, m in enumerate(mes) if m.kind != "incubating" or m.status == "active"]
    emcs = []
    for i in range(scale.emcs):
        seats = rng.sample(live_for_nodes, k=min(len(live_for_nodes), rng.randint(2, 5)))
        formed = (
            first_day + dt.timedelta(days=rng.randrange(HISTORY_DAYS - 60))
            if rng.random() < 0.12
            else org_start + dt.timedelta(days=rng.randrange(2 * 365, 3 * 365 - 30))
        )
        formed = max(formed, max(mes[s].founded_on for s in seats))
        emcs.append(
            EMCPlan(
                code=f"emc-{i + 1:04d}",
                name=f"{'Experience' if i % 2 == 0 else 'Solution'} EMC {i + 1}",
                kind="experience" if i % 2 == 0 else "solution",
                lead=seats[0],
                nodes=list(zip(seats, _weights_hundredths(rng, len(seats)), strict=True)),
                scenarios=sorted(
                    rng.sample(range(scale.scenarios), k=min(scale.scenarios, rng.randint(1, 2)))
                ),
                formed_on=formed,
                popularity=rng.lognormvariate(0, 0.8),
                currency="USD" if rng.random() < 0.03 else "CNY",
                fee_pct=rng.choice(["3", "4", "5", "6"]),
                holdback_pct=rng.choice(["5", "8", "10"]),
                base_rate_pct=rng.choice(["8", "10", "12"]),
            )
        )

    solutions = []
    scenario_emcs: dict[int, list[int]] = {}
    for e, emc in enumerate(emcs):
        for s in emc.scenarios:
            scenario_emcs.setdefault(s, []).append(e)
    for s, (_code, _name, pool) in enumerate(scenarios):
        for k in range(rng.randint(2, 4)):
            first = first_day - dt.timedelta(days=rng.randint(30, 400))
            releases, gap, on = [first], rng.choice([120, 90, 75]), first
            while True:
                on = on + dt.timedelta(days=gap)
                if on > last_day:
                    break
                releases.append(on)
                gap = max(30, int(gap * rng.uniform(0.6, 0.9)))  # 3 months, 2 months, 45 days...
            provider_emcs = scenario_emcs.get(s, [])
            solutions.append(
                SolutionPlan(
                    code=f"sol-{s + 1:03d}-{k + 1}",
                    name=f"{scenarios[s][1]} suite {k + 1}",
                    scenario=s,
                    categories=sorted(rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))),
                    provider_mes=sorted({emcs[e].lead for e in provider_emcs[:2]}) or [live_for_nodes[0]],
                    provider_partners=[],
                    releases=releases,
                )
            )

    # partners: entering (applied, probation, active), watched, leaving (phased out), rejected
    partners = []
    per_emc: list[int] = [0] * len(emcs)
    max_per_emc = 30
    emc_choices = list(range(len(emcs)))
    emc_cum = list(accumulate(e.popularity for e in emcs))
    for i in range(scale.partners):
        newcomer = rng.random() < 0.2
        applied = (
            first_day + dt.timedelta(days=rng.randrange(HISTORY_DAYS - 20))
            if newcomer
            else first_day - dt.timedelta(days=rng.randint(60, 900))
        )
        roles = sorted(set(rng.choices(PARTNER_ROLES, ROLE_WEIGHTS, k=rng.choice([1, 1, 1, 2]))))
        steps: list[tuple[str, dt.date]] = []
        fate = rng.random()
        on = applied
        exit_on = None
        if fate < 0.07:
            steps.append(("reject", on + dt.timedelta(days=rng.randint(5, 30))))
        elif fate < 0.13 and on + dt.timedelta(days=60) > last_day:
            pass  # still waiting for a decision
        elif fate < 0.13:
            steps.append(("reject", on + dt.timedelta(days=rng.randint(5, 30))))
        else:
            on = on + dt.timedelta(days=rng.randint(7, 30))
            steps.append(("admit", on))
            if fate > 0.25:  # probation passed
                on = on + dt.timedelta(days=rng.randint(30, 90))
                steps.append(("activate", on))
                if fate > 0.85:  # users rated it under expectation: on watch...
                    on = on + dt.timedelta(days=rng.randint(60, 200))
                    steps.append(("watch", on))
                    if fate > 0.95:
                        on = on + dt.timedelta(days=rng.randint(20, 60))
                        steps.append(("reinstate", on))
                if 0.75 < fate <= 0.85 or fate > 0.97:  # ...and phased out, on a Monday
                    on = on + dt.timedelta(days=rng.randint(60, 300))
                    on = on + dt.timedelta(days=(7 - on.weekday()) % 7)  # admins decide weekly
                    steps.append(("phase_out", on))
                    exit_on = on
                    if rng.random() < 0.2:
                        on = on + dt.timedelta(days=rng.randint(30, 120))
                        steps.append(("reapply", on))
        steps = [(a, d) for a, d in steps if d <= last_day]
        if exit_on is not None and not first_day <= exit_on <= last_day:
            exit_on = None  # only a phase-out inside the history waits for its day
        admitted = next((d for a, d in steps if a == "admit"), None)
        tier_steps = []
        if admitted and rng.random() < 0.3:
            tier = rng.choices(TIERS[1:], [6, 3, 1])[0]
            when = admitted + dt.timedelta(days=rng.randint(60, 400))
            if when <= last_day and (exit_on is None or when < exit_on):
                tier_steps.append((tier, when))
        plan = PartnerPlan(
            code=f"ptn-{i + 1:05d}",
            name=_partner_name(rng, i + 1),
            roles=roles,
            industries=sorted(set(rng.sample(isic_classes, k=rng.choice([1, 1, 2])))),
            resources=sorted({c for c, _n in rng.sample(RESOURCES, k=rng.randint(0, 2))}),
            applied_on=applied,
            baseline_minor=rng.randint(1, 500) * 1_000_000,
            steps=steps,
            tier_steps=tier_steps,
            exit_on=exit_on,
        )
        phased_out = next((d for a, d in steps if a == "phase_out"), None)
        if admitted:
            for _k in range(rng.choice([1, 1, 2, 3])):
                for _try in range(4):
                    e = bisect_left(emc_cum, rng.random() * emc_cum[-1])
                    e = min(e, len(emc_choices) - 1)
                    if per_emc[e] < max_per_emc and all(p.emc != e for p in plan.participations):
                        break
                else:
                    continue
                start = max(admitted, emcs[e].formed_on) + dt.timedelta(days=rng.randint(0, 60))
                if start > last_day or (phased_out and start >= phased_out):
                    continue
                end = phased_out
                if end is None and rng.random() < 0.1:  # left the EMC, still in the ecosystem
                    leave = start + dt.timedelta(days=rng.randint(30, 300))
                    end = leave if leave <= last_day else None
                per_emc[e] += 1
                plan.participations.append(Participation(e, start, end))
            if rng.random() < 0.4:
                for code, _n in rng.sample(STANDARDS, k=rng.randint(1, 2)):
                    when = admitted + dt.timedelta(days=rng.randint(10, 200))
                    if when <= last_day:
                        plan.certifications.append((code, when))
        partners.append(plan)

    # solutions co-provided by partners of their scenario's EMCs
    emc_partners: dict[int, list[int]] = {}
    for p, plan in enumerate(partners):
        for part in plan.participations:
            emc_partners.setdefault(part.emc, []).append(p)
    for sol in solutions:
        pool = sorted({p for e in scenario_emcs.get(sol.scenario, [])[:3] for p in emc_partners.get(e, [])})
        sol.provider_partners = sorted(rng.sample(pool, k=min(len(pool), rng.randint(0, 3))))

    # contracts: v1 in force from the history's start (or the EMC's forming), v2 from mid-year
    # with the partners who take part in the second half and a target raised for growth
    for e, emc in enumerate(emcs):
        first = max(first_day - dt.timedelta(days=30), emc.formed_on)
        starts = [first] + ([mid_year] if first < mid_year - dt.timedelta(days=30) else [])
        for k, start in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else last_day + dt.timedelta(days=60)
            shares = {
                p: rng.choice(["0.5", "1", "1.5", "2", "2.5", "3"])
                for p in emc_partners.get(e, [])
                if any(
                    part.emc == e
                    and part.started_on < end
                    and (part.ended_on is None or part.ended_on > start)
                    for part in partners[p].participations
                )
            }
            # the target is this factor times the EMC's expected monthly value, known once the
            # number of events is: some EMCs beat their target, some miss it
            emc.contracts.append((start, shares, rng.choice([70, 80, 90, 100, 110, 120, 130])))

    # end users: most buy now and then, some interact, a few are (or become) life-long users
    users = []
    for i in range(scale.end_users):
        r = rng.random()
        loyalty = "lifelong" if r < 0.06 else "interactive" if r < 0.25 else "transactional"
        lifelong_from = None
        if loyalty == "interactive" and rng.random() < 0.25:
            lifelong_from = first_day + dt.timedelta(days=rng.randrange(HISTORY_DAYS))
        activity = {"lifelong": 6.0, "interactive": 2.5, "transactional": 1.0}[loyalty]
        users.append(EndUser(f"u-{i + 1:07d}", loyalty, lifelong_from, activity * rng.uniform(0.5, 1.5)))
    emc_cum = list(accumulate(e.popularity for e in emcs))
    for u, user in enumerate(users):
        for _k in range({"lifelong": 3, "interactive": 2, "transactional": 1}[user.loyalty]):
            e = min(bisect_left(emc_cum, rng.random() * emc_cum[-1]), len(emcs) - 1)
            if u not in emcs[e].users[-3:]:
                emcs[e].users.append(u)
                emcs[e].user_weights.append(user.activity)
    for emc in emcs:
        if not emc.users:  # every EMC has someone to sell to
            u = rng.randrange(len(users))
            emc.users.append(u)
            emc.user_weights.append(users[u].activity)

    return Plan(
        scale=scale,
        seed=seed,
        first_day=first_day,
        last_day=last_day,
        usernames=usernames,
        mes=mes,
        scenarios=scenarios,
        categories=categories,
        solutions=solutions,
        emcs=emcs,
        partners=partners,
        users=users,
    )
