"""Demo inputs the scoring reads beyond the ledger: purpose indicators per EMC and day, and the
partners' use of shared platform resources. Called by `manage.py demo_load` after the ledger
demo; safe to run again. (`bin/demo` then backfills the nightly pipeline over the demo's days.)"""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ledger.models import PurposeIndicator, Source, ValueEvent
from ledger.purpose_indicators import PurposeIndicatorSpec, purpose_indicators_post
from orgs import services as org_services
from orgs.models import EMC, Partner, ResourceUse

SEED = 1313
# the EMCs' purpose work: (kind, typical quantity per logged day, how often a day is logged)
PURPOSE = {
    "smart-balcony": [("energy_saved", 180, 0.5), ("co2e_avoided", 90, 0.5)],
    "smart-kitchen": [("co2e_avoided", 60, 0.3), ("units_recycled", 12, 0.2)],
    "vaccine-cold-chain": [("people_served", 400, 0.6), ("energy_saved", 120, 0.3)],
    "laundry": [("units_recycled", 25, 0.3), ("energy_saved", 80, 0.4)],
    "home-fitness": [("people_served", 40, 0.3)],
}


@transaction.atomic
def demo_scoring_load(*, users, progress) -> str:
    if PurposeIndicator.objects.exists():
        return "demo scoring inputs already loaded"
    first = ValueEvent.objects.order_by("occurred_on").values_list("occurred_on", flat=True).first()
    if first is None:
        return "no value events: load the ledger demo first"
    rng = random.Random(SEED)
    admin = users["admin"]
    today = timezone.localdate()
    specs = []
    for emc in EMC.objects.filter(status=EMC.Status.ACTIVE).prefetch_related("scenarios"):
        plans = [p for s in emc.scenarios.all() for p in PURPOSE.get(s.code, [])]
        day = max(first, emc.formed_on)
        while day < today:
            for kind, typical, share in plans:
                if rng.random() < share:
                    growth = 1 + (day - first).days / 180  # the work grows with the ecosystem
                    quantity = Decimal(str(round(typical * growth * rng.uniform(0.5, 1.5), 1)))
                    specs.append(
                        PurposeIndicatorSpec(
                            kind=kind,
                            me_id=emc.lead_me_id,
                            emc_id=emc.pk,
                            on=day,
                            quantity=quantity,
                            unit=PurposeIndicator.UNITS[kind],
                            note="Demo",
                        )
                    )
            day += dt.timedelta(days=1)
    purpose_indicators_post(specs=specs, actor=None, source=Source.JOB)
    progress(f"scoring: {len(specs)} purpose indicators")
    uses = 0
    for partner in Partner.objects.filter(state__in=Partner.CREDITABLE_STATES).prefetch_related("resources"):
        for resource in partner.resources.all():
            if ResourceUse.objects.filter(partner=partner, resource=resource).exists():
                continue
            if rng.random() < 0.75:
                started = max(partner.applied_on, first - dt.timedelta(days=30)) + dt.timedelta(
                    days=rng.randint(0, 60)
                )
                org_services.resource_use_start(
                    actor=admin,
                    partner=partner,
                    resource=resource,
                    started_on=min(started, today),
                    note="Demo",
                )
                uses += 1
    progress(f"scoring: {uses} resource uses")
    return f"{len(specs)} purpose indicators, {uses} resource uses"
