"""A year of history for the demo organization (`manage.py demo_load`, after the ledger demo).

The ledger demo posts the last 90 days and approves contracts in force for the year; this
loader writes the ~9 months before them with the generator's history writer: recorded day by
day, seasonality and growth, the demo's own end users coming back (the same pseudonymous
references the last 90 days use), life-long users' signals, refunds, and partners credited
while they take part. Partners already phased out when the demo is loaded (two balcony dryer
brands) are not credited: the posting engine credits only partners creditable when it posts.
"""

import datetime as dt
import random

from django.db.models import Min
from django.utils import timezone

from ledger.models import Contract, ContractPartnerShare, Source, ValueEvent
from orgs.demo_org import MARKER_ME
from orgs.models import EMC, Category, EMCNode, EMCParticipation, Microenterprise, Partner, Solution
from synth.history import HistoryGenerator, Ids
from synth.models import GeneratedHistory
from synth.plan import DAY, EMCPlan, EndUser, Participation, PartnerPlan, Plan, SolutionPlan
from synth.scales import Scale
from synth.writer import history_post

SEED = 2424
EVENTS_PER_EMC_DAY = 4  # growing into the ledger demo's own density (4 to 9 a day)
USERS_PER_EMC = 400  # the ledger demo's users: u-<emc id>-0001 ... 0400
PRICES = {  # CNY, by demo category
    "washers": 2999,
    "dryers": 3999,
    "refrigerators": 4999,
    "vaccine-fridges": 8999,
    "smart-hangers": 699,
    "laundry-care": 99,
    "fitness-gear": 1999,
    "cold-storage": 499,
    "iot-services": 199,
    "recipes": 39,
}


def plan_from_database(*, first_day: dt.date, last_day: dt.date, seed: int) -> tuple[Plan, Ids]:
    """The generator's view of an organization already in the database: its active EMCs with
    their seats, approved contracts and creditable partners, their scenarios, solutions and
    categories, and a population of end users per EMC."""
    rng = random.Random(seed)
    emcs = list(
        EMC.objects.filter(status=EMC.Status.ACTIVE, contracts__status=Contract.Status.APPROVED)
        .distinct()
        .order_by("id")
        .prefetch_related("scenarios")
    )
    me_ids = sorted(
        set(EMCNode.objects.filter(emc__in=emcs).values_list("me_id", flat=True))
        | {e.lead_me_id for e in emcs}
    )
    me_index = {pk: i for i, pk in enumerate(me_ids)}
    categories = list(Category.objects.order_by("id"))
    cat_index = {c.pk: i for i, c in enumerate(categories)}
    scenario_ids = sorted({s.pk for e in emcs for s in e.scenarios.all()})
    scn_index = {pk: i for i, pk in enumerate(scenario_ids)}
    solutions = list(
        Solution.objects.filter(scenario_id__in=scenario_ids)
        .order_by("id")
        .prefetch_related("categories", "versions")
    )
    pools = {pk: set() for pk in scenario_ids}
    for sol in solutions:
        pools[sol.scenario_id].update(cat_index[c.pk] for c in sol.categories.all())
    partners = list(Partner.objects.filter(state__in=Partner.CREDITABLE_STATES).order_by("id"))
    partner_index = {p.pk: i for i, p in enumerate(partners)}
    partner_plans = [PartnerPlan(p.code, p.name, [], [], [], p.applied_on, 0, [], []) for p in partners]
    emc_index = {e.pk: i for i, e in enumerate(emcs)}
    for emc_id, partner_id, start, end in EMCParticipation.objects.filter(
        emc__in=emcs, partner_id__in=partner_index
    ).values_list("emc_id", "partner_id", "started_on", "ended_on"):
        partner_plans[partner_index[partner_id]].participations.append(
            Participation(emc_index[emc_id], start, end)
        )
    users: list[EndUser] = []
    emc_plans = []
    for emc in emcs:
        seats = [(me_index[emc.lead_me_id], emc.formed_on, emc.ended_on)]
        seats += [
            (me_index[me_id], joined, left)
            for me_id, joined, left in EMCNode.objects.filter(emc=emc).values_list(
                "me_id", "joined_on", "left_on"
            )
            if me_id != emc.lead_me_id
        ]
        versions = []
        for contract in Contract.objects.filter(emc=emc, status=Contract.Status.APPROVED).order_by(
            "effective_from"
        ):
            shares = {
                partner_index[pid]: str(pct)
                for pid, pct in ContractPartnerShare.objects.filter(contract=contract).values_list(
                    "partner_id", "share_pct"
                )
                if pid in partner_index
            }
            versions.append((contract.effective_from, shares, 100))
        plan = EMCPlan(
            code=emc.code,
            name=emc.name,
            kind=emc.kind,
            lead=me_index[emc.lead_me_id],
            nodes=[(m, 0) for m, _j, _l in seats],
            scenarios=[scn_index[s.pk] for s in emc.scenarios.all()],
            formed_on=emc.formed_on,
            popularity=1.0,
            currency=Contract.objects.filter(emc=emc, status=Contract.Status.APPROVED)
            .latest("effective_from")
            .currency,
            seats=seats,
            contracts=versions,
        )
        for n in range(1, USERS_PER_EMC + 1):
            r = rng.random()
            loyalty = "lifelong" if r < 0.08 else "interactive" if r < 0.3 else "transactional"
            activity = {"lifelong": 6.0, "interactive": 2.5, "transactional": 1.0}[loyalty]
            lifelong_from = (
                first_day + rng.randrange(365) * DAY if loyalty == "interactive" and r < 0.12 else None
            )
            plan.users.append(len(users))
            plan.user_weights.append(activity)
            users.append(EndUser(f"u-{emc.pk:02d}-{n:04d}", loyalty, lifelong_from, activity))
        emc_plans.append(plan)
    plan = Plan(
        scale=Scale(
            "demo",
            len(me_ids),
            0,
            len(emcs),
            len(partners),
            len(users),
            len(scenario_ids),
            len(categories),
            0,
        ),
        seed=seed,
        first_day=first_day,
        last_day=last_day,
        usernames=[],
        mes=[],
        scenarios=[(str(pk), "", sorted(pools[pk]) or list(range(len(categories)))) for pk in scenario_ids],
        categories=[(c.code, c.name, c.is_core, "", PRICES.get(c.code, 299)) for c in categories],
        solutions=[
            SolutionPlan(
                s.code,
                s.name,
                scn_index[s.scenario_id],
                sorted(cat_index[c.pk] for c in s.categories.all()),
                [],
                [],
                sorted(v.released_on for v in s.versions.all()),
            )
            for s in solutions
        ],
        emcs=emc_plans,
        partners=partner_plans,
        users=users,
    )
    ids = Ids(
        mes=me_ids,
        emcs=[e.pk for e in emcs],
        scenarios=scenario_ids,
        solutions=[s.pk for s in solutions],
        categories=[c.pk for c in categories],
        partners=[p.pk for p in partners],
    )
    return plan, ids


def demo_history_load(*, users, progress) -> str:
    """Write the demo organization's history before the ledger demo's last 90 days, once."""
    if GeneratedHistory.objects.filter(scale="demo").exists():
        return "demo history already loaded"
    if not Microenterprise.objects.filter(code=MARKER_ME).exists():
        return "no demo organization: load it first"
    first_contract = Contract.objects.filter(status=Contract.Status.APPROVED).aggregate(
        d=Min("effective_from")
    )["d"]
    first_event = ValueEvent.objects.filter(source=Source.JOB).aggregate(d=Min("occurred_on"))["d"]
    today = timezone.localdate()
    if first_contract is None:
        return "no approved contracts: load the ledger demo first"
    first_day = max(first_contract, today - 364 * DAY)
    last_day = (first_event or today) - DAY
    if last_day < first_day:
        return "nothing to add: the ledger demo already covers the year"
    plan, ids = plan_from_database(first_day=first_day, last_day=last_day, seed=SEED)
    open_days = sum(max(0, (last_day - max(first_day, e.formed_on)).days + 1) for e in plan.emcs)
    events = open_days * EVENTS_PER_EMC_DAY
    progress(f"synth: {events:,} value events from {first_day} to {last_day}, recorded day by day")
    generator = HistoryGenerator(plan, ids, tz=timezone.get_current_timezone())
    totals = history_post(generator.history_batches(events, seed=SEED), partner_ids=ids.partners)
    GeneratedHistory.objects.create(
        scale="demo",
        seed=SEED,
        events=events,
        first_day=first_day,
        plan_last_day=last_day,
        last_day=last_day,
        status=GeneratedHistory.Status.HISTORY,
        stats={
            "history": {"payments": totals.payments, "refunds": totals.refunds, "signals": totals.signals}
        },
    )
    return (
        f"{totals.payments} payments, {totals.refunds} refunds, {totals.signals} signals "
        f"from {first_day} to {last_day} in {totals.seconds:.0f} s"
    )
