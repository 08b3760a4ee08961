"""Generate a synthetic ecosystem with a year of history, or add a night on top of one.

    history_generate(scale="haier", events=300_000, seed=1)   # organization + a year
    night_add(events=30_000)                                   # one more day on top

Same scale, seed, events and last day: the same rows (ids aside when posted by several
workers). See synth.plan (the organization), synth.history (the events), synth.writer (how
they are written) and synth.organization (what is bulk-created).
"""

import datetime as dt
import gc
import random
import time
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ledger.models import ValueEvent
from orgs.models import Industry
from synth import inputs
from synth.history import REFUND_SHARE, Batch, HistoryGenerator, RefundDue
from synth.models import GeneratedHistory
from synth.organization import ids_load, organization_write
from synth.plan import DAY, HISTORY_DAYS, build_plan
from synth.scales import SCALES
from synth.writer import Totals, history_post


def default_last_day() -> dt.date:
    """Two days ago: a night added on top is then yesterday, wholly in the past."""
    return timezone.localdate() - 2 * DAY


def _plan(*, scale: str, seed: int, last_day: dt.date):
    isic = sorted(Industry.objects.filter(level=Industry.Level.CLASS).values_list("code", flat=True))
    if not isic:
        raise ValidationError({"database": "The ISIC reference data is missing: run migrate first."})
    return build_plan(scale=SCALES[scale], seed=seed, last_day=last_day, isic_classes=isic)


def _stats(totals: Totals) -> dict:
    return {
        "batches": totals.batches,
        "payments": totals.payments,
        "refunds": totals.refunds,
        "signals": totals.signals,
        "lifecycle_steps": totals.lifecycle_steps,
        "seconds": round(totals.seconds, 2),
        "events_per_s": round(totals.events / totals.seconds, 1) if totals.seconds else None,
    }


def history_generate(
    *,
    scale: str,
    events: int | None = None,
    seed: int = 1,
    last_day: dt.date | None = None,
    workers: int = 0,
    phase: str = "all",
    progress: Callable[[str], None] = lambda message: None,
    on_batch: Callable[[Batch], None] = lambda batch: None,
) -> GeneratedHistory:
    """Write the organization (phase "organization"), its year of history ("history", on top
    of a written organization), or both ("all") into an empty database."""
    if scale not in SCALES:
        raise ValidationError({"scale": f"Use one of {', '.join(SCALES)}."})
    if phase not in ("all", "organization", "history"):
        raise ValidationError({"phase": "Use all, organization or history."})
    events = SCALES[scale].events if events is None else events
    if events < 0:
        raise ValidationError({"events": "Give a number of events (0 or more)."})
    record = GeneratedHistory.objects.first()
    if phase == "history":
        if record is None or record.status != GeneratedHistory.Status.ORGANIZATION:
            raise ValidationError({"phase": "Write the organization first (phase organization)."})
        scale, seed, events, last_day = record.scale, record.seed, record.events, record.plan_last_day
    elif record is not None or ValueEvent.objects.exists():
        raise ValidationError({"database": "This database already holds a history; add a night instead."})
    last_day = last_day or default_last_day()
    plan = _plan(scale=scale, seed=seed, last_day=last_day)
    gc.freeze()  # the plan lives all run long: keep the collector from walking it again and again
    if phase in ("all", "organization"):
        started = time.perf_counter()
        ids = organization_write(plan=plan, events=events, progress=lambda m: progress(f"organization: {m}"))
        record = GeneratedHistory.objects.create(
            scale=scale,
            seed=seed,
            events=events,
            first_day=plan.first_day,
            plan_last_day=plan.last_day,
            last_day=plan.last_day,
            status=GeneratedHistory.Status.ORGANIZATION,
            stats={"organization_seconds": round(time.perf_counter() - started, 2)},
        )
        if phase == "organization":
            return record
    else:
        ids = ids_load(plan)
    progress(f"history: {events:,} value events over {plan.days} days")
    generator = HistoryGenerator(plan, ids, tz=timezone.get_current_timezone())
    batches = inputs.with_daily_inputs(generator.history_batches(events, seed=seed), plan=plan, ids=ids)
    totals = history_post(batches, partner_ids=ids.partners, workers=workers, on_batch=on_batch)
    record.status = GeneratedHistory.Status.HISTORY
    record.stats = record.stats | {"history": _stats(totals)}
    record.save(update_fields=["status", "stats"])
    return record


def _refunds_for_night(day: dt.date, count: int, rng: random.Random, tz) -> tuple[list[RefundDue], dict]:
    """Payments of the last month (not refunded, not reversed) that the night refunds, chosen
    in a stable order so the same history gives the same night."""
    candidates = list(
        ValueEvent.objects.filter(
            kind=ValueEvent.Kind.PAYMENT,
            transaction__effective_on__range=(day - 30 * DAY, day - 2 * DAY),
            refunds__isnull=True,
            transaction__reversed_by__isnull=True,
        )
        .order_by("occurred_at", "user_ref", "amount_minor", "id")
        .values_list("id", "amount_minor", "user_ref", "currency")
    )
    chosen = rng.sample(candidates, k=min(count, len(candidates)))
    dues, known = [], {}
    for key, (pk, amount, user_ref, currency) in enumerate(chosen, start=-len(chosen)):
        moment = dt.datetime(day.year, day.month, day.day, rng.randint(8, 21), rng.randrange(60), tzinfo=tz)
        dues.append(
            RefundDue(key, amount if rng.random() < 0.65 else amount // 2, user_ref, currency, moment)
        )
        known[key] = pk
    return dues, known


def night_add(
    *,
    events: int | None = None,
    workers: int = 0,
    on_batch: Callable[[Batch], None] = lambda batch: None,
) -> dict:
    """Add one more day (the day after the last) of events, refunds and signals on top of the
    generated history, logged through the day as the history's days were."""
    record = GeneratedHistory.objects.first()
    if record is None or record.status != GeneratedHistory.Status.HISTORY:
        raise ValidationError({"database": "No generated history here to add a night to."})
    events = round(record.events / HISTORY_DAYS) if events is None else events
    if events < 0:
        raise ValidationError({"events": "Give a number of events (0 or more)."})
    plan = _plan(scale=record.scale, seed=record.seed, last_day=record.plan_last_day)
    gc.freeze()
    ids = ids_load(plan)
    day = record.last_day + DAY
    tz = timezone.get_current_timezone()
    rng = random.Random(f"synth-night:{record.scale}:{record.seed}:{day.isoformat()}:{events}")
    generator = HistoryGenerator(plan, ids, tz=tz)
    refunds = round(events * REFUND_SHARE)
    dues, known = _refunds_for_night(day, refunds, rng, tz)
    generator.refunds_due[day].extend(dues)
    payments = events - len(dues)
    batches = inputs.with_daily_inputs(
        generator.day_batches(day, payments, rng, last_day=day), plan=plan, ids=ids
    )
    totals = history_post(batches, partner_ids=ids.partners, workers=workers, on_batch=on_batch, known=known)
    night = {"day": day.isoformat()} | _stats(totals)
    with transaction.atomic():
        record = GeneratedHistory.objects.select_for_update().get(pk=record.pk)
        record.last_day = day
        record.nights = [*record.nights, night]
        record.save(update_fields=["last_day", "nights"])
    return night
