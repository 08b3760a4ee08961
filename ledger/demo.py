"""Demo ledger: one approved contract per active EMC (in force for the last year) and ~90 days
of value events (with refunds and customized orders) plus user signals of the four kinds,
posted through the bulk engine. Called by `manage.py demo_load` after the organization demo; safe to run again."""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ledger import services
from ledger.allocation import largest_remainder
from ledger.models import Contract, Source, UserSignal, ValueEvent
from ledger.posting.specs import ValueEventSpec
from ledger.user_signals import UserSignalSpec
from orgs.models import EMC, Category, EMCNode, EMCParticipation, Partner

DAYS = 90
CONTRACT_DAYS = 365  # contracts in force for a year: the history before the 90 days uses them too
EVENTS_PER_EMC_DAY = (4, 9)  # a few thousand events over 90 days for the six demo EMCs
SEED = 4242


def _node_shares(weights: list[tuple[int, Decimal]]) -> list[tuple[int, Decimal]]:
    """Turn node weights into percentages with two decimals summing to exactly 100."""
    hundredths = largest_remainder(10000, weights)
    return [(me_id, Decimal(hundredths[me_id][0]) / 100) for me_id, _w in weights]


def _contract_for(emc: EMC, *, admin, approver, start: dt.date, rng: random.Random, partners: list[Partner]):
    nodes = list(EMCNode.objects.filter(emc=emc, left_on__isnull=True).select_related("me"))
    if not nodes:
        return None
    weights = sorted((n.me_id, n.share_weight or Decimal(1)) for n in nodes)
    by_id = {n.me_id: n.me for n in nodes}
    # minor units per month (350k-450k CNY): the demo posts ~470k a month per EMC, so some EMCs
    # pass their target and its 120% tier and others fall short, as in a real month
    target = rng.choice([35_000_000, 40_000_000, 45_000_000])
    draft = services.contract_draft_create(
        actor=admin,
        emc=emc,
        effective_from=start,
        currency="CNY",
        period=Contract.Period.MONTH,
        platform_fee_pct=Decimal("5"),
        target_minor=target,
        base_rate_pct=Decimal("10"),
        floor_minor=target // 5,
        cap_minor=target * 3,
        holdback_pct=Decimal("10"),
        holdback_days=30,
        tiers=[
            {"threshold_pct": 100, "rate_pct": Decimal("10")},
            {"threshold_pct": 120, "rate_pct": Decimal("15")},
            {"threshold_pct": 150, "rate_pct": Decimal("20")},
        ],
        partner_shares=[{"partner": p, "share_pct": Decimal(rng.randint(3, 12))} for p in partners[:5]],
        node_shares=[{"me": by_id[me_id], "share_pct": pct} for me_id, pct in _node_shares(weights)],
        goals=[
            {
                "axis": "horizontal",
                "metric": "user_paid_value",
                "target": Decimal(target) / 100,
                "unit": "CNY",
            },
            # life-long users are user value: a vertical goal in the VAM (contract_terms refuses it
            # on the horizontal axis)
            {"axis": "vertical", "metric": "lifelong_users", "target": Decimal(200), "unit": "users"},
            {
                "axis": "vertical",
                "metric": "ecosystem_revenue",
                "target": Decimal(target) / 400,
                "unit": "CNY",
            },
            {"axis": "vertical", "metric": "co_creation", "target": Decimal(50), "unit": "participations"},
        ],
        notes="Demo contract: 5% platform fee, tiers at 100/120/150% of target.",
    )
    return services.contract_approve(actor=approver, contract=draft)


def demo_ledger_load(*, users, progress) -> str:
    """Create contracts and post ~90 days of value and signals once (a second call returns)."""
    if ValueEvent.objects.exists():
        return "demo ledger already loaded"
    emcs = list(
        EMC.objects.filter(status=EMC.Status.ACTIVE).prefetch_related("scenarios__solutions__categories")
    )
    if not emcs:
        return "no EMCs: load the organization demo first"
    admin = users["admin"]
    rng = random.Random(SEED)
    now = timezone.now()
    today = timezone.localdate()
    categories = list(Category.objects.all())

    progress("ledger: contracts")
    plan = []
    with transaction.atomic():
        for emc in emcs:
            creditable = list(
                Partner.objects.filter(
                    state__in=Partner.CREDITABLE_STATES,
                    participations__emc=emc,
                    participations__ended_on__isnull=True,
                ).distinct()
            )
            contract = _contract_for(
                emc,
                admin=admin,
                approver=users["admin2"],
                start=today - dt.timedelta(days=CONTRACT_DAYS),
                rng=rng,
                partners=creditable,
            )
            if contract is not None:
                plan.append((emc, contract))

    progress("ledger: value events")
    payments: list[ValueEventSpec] = []
    signals: list[UserSignalSpec] = []
    for emc, contract in plan:
        share_partner_ids = set(contract.partner_shares.values_list("partner_id", flat=True))
        nodes = list(
            EMCNode.objects.filter(emc=emc).filter(Q(left_on__isnull=True)).values_list("me_id", "joined_on")
        )
        nodes.append((emc.lead_me_id, emc.formed_on))
        participations = list(
            EMCParticipation.objects.filter(emc=emc, partner_id__in=share_partner_ids).values_list(
                "partner_id", "started_on", "ended_on"
            )
        )
        scenarios = list(emc.scenarios.all())
        if not scenarios:
            continue
        for offset in range(DAYS, -1, -1):
            day = today - dt.timedelta(days=offset)
            mes = sorted({me for me, joined in nodes if joined <= day and emc.formed_on <= day})
            if not mes:
                continue
            partners_on = [p for p, s, e in participations if s <= day and (e is None or day < e)]
            for _n in range(rng.randint(*EVENTS_PER_EMC_DAY)):
                moment = timezone.make_aware(
                    dt.datetime.combine(day, dt.time(rng.randint(8, 21), rng.randint(0, 59)))
                )
                if moment > now:
                    continue
                scenario = rng.choice(scenarios)
                solutions = list(scenario.solutions.all())
                solution = rng.choice(solutions) if solutions and rng.random() < 0.8 else None
                cats = list(solution.categories.all()) if solution else []
                category = rng.choice(cats or categories)
                user_ref = f"u-{emc.pk:02d}-{rng.randint(1, 400):04d}"
                payments.append(
                    ValueEventSpec(
                        me_id=rng.choice(mes),
                        emc_id=emc.pk,
                        scenario_id=scenario.pk,
                        solution_id=solution.pk if solution else None,
                        category_id=category.pk,
                        user_ref=user_ref,
                        amount_minor=rng.choice([99, 199, 299, 599, 1299, 2999, 4999, 8999]) * 100
                        + rng.choice([0, 0, 50]),
                        currency="CNY",
                        occurred_at=moment,
                        customized=rng.random() < 0.2,
                        partner_ids=tuple(
                            sorted(rng.sample(partners_on, k=min(len(partners_on), rng.randint(0, 2))))
                        ),
                    )
                )
                if rng.random() < 0.35:
                    kind = rng.choice(UserSignal.Kind.values)
                    signals.append(
                        UserSignalSpec(
                            kind=kind,
                            me_id=payments[-1].me_id,
                            emc_id=emc.pk,
                            scenario_id=scenario.pk,
                            solution_id=solution.pk if solution else None,
                            user_ref=user_ref,
                            occurred_at=moment,
                            rating=rng.randint(2, 5) if kind == "rating" else None,
                            expectation=rng.randint(2, 5) if kind == "rating" else None,
                            co_creation_kind=rng.choice(UserSignal.CoCreationKind.values)
                            if kind == "co_creation"
                            else None,
                            products_owned=rng.randint(1, 6) if kind == "ownership" else None,
                            related_purchase=(rng.random() < 0.4) if kind == "ownership" else None,
                            note="Recommended the solution to friends" if kind == "story" else "",
                        )
                    )
    # drop what the organization's dates do not allow (e.g. a partner that left), then post
    bad = services.value_events_check(specs=payments, actor=None)
    payments = [s for i, s in enumerate(payments) if i not in bad]
    with transaction.atomic():
        posted = []
        for chunk_start in range(0, len(payments), 2000):
            posted += services.value_events_log(
                specs=payments[chunk_start : chunk_start + 2000], actor=None, source=Source.JOB
            )
        progress(f"ledger: {len(posted)} payments posted")

        refunds = []
        for event in rng.sample(posted, k=len(posted) // 30):
            when = min(
                event.occurred_at + dt.timedelta(days=rng.randint(1, 10)), now - dt.timedelta(minutes=1)
            )
            amount = event.amount_minor if rng.random() < 0.6 else event.amount_minor // 2
            refunds.append(
                ValueEventSpec(
                    kind=ValueEvent.Kind.REFUND,
                    user_ref=event.user_ref,
                    amount_minor=amount,
                    currency=event.currency,
                    occurred_at=when,
                    original_id=event.pk,
                    note="Returned within the guarantee period",
                )
            )
        services.value_events_log(specs=refunds, actor=None, source=Source.JOB)
        progress(f"ledger: {len(refunds)} refunds posted")

        bad = services.user_signals_check(specs=signals, actor=None)
        signals = [s for i, s in enumerate(signals) if i not in bad]
        services.user_signals_log(specs=signals, actor=None, source=Source.JOB)
        progress(f"ledger: {len(signals)} user signals logged")
    return f"{len(plan)} contracts, {len(posted)} payments, {len(refunds)} refunds, {len(signals)} signals"
