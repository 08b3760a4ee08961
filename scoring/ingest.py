"""The ingest step: what was recorded since the last cut-off, aggregated into daily rollups.

One `Ingest` covers the rows recorded in (previous cut-off, cut-off]: value events by
`logged_at`, reversals by their transaction's `recorded_at`, share legs by their transaction's
`recorded_at`, user signals by `logged_at`. Each rollup is one grouped query over those rows
(the recorded-time indexes find them) and one bulk insert: the cost follows the night's rows,
never the history. A reversal takes its event's value out on the event's day; a reversed payment
still shows that its user was active (reversals correct money, not behaviour).
"""

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from ledger.models import Account, Leg, UserSignal, ValueEvent, ValueEventPartner
from scoring.models import (
    CategoryDay,
    EarnedDay,
    Ingest,
    PartnerDay,
    SignalDay,
    SolutionDay,
    UserDay,
    ValueDay,
)

BULK = 5000  # rows per INSERT of a rollup

PAYMENT = ValueEvent.Kind.PAYMENT


def _recorded(field: str, previous: dt.datetime | None, cutoff: dt.datetime) -> Q:
    q = Q(**{f"{field}__lte": cutoff})
    return q & Q(**{f"{field}__gt": previous}) if previous is not None else q


def _signed(prefix: str = "") -> Case:
    """+amount for a payment, -amount for a refund."""
    return Case(
        When(**{f"{prefix}kind": PAYMENT}, then=F(f"{prefix}amount_minor")),
        default=-F(f"{prefix}amount_minor"),
        output_field=IntegerField(),
    )


def _one_if(**conditions) -> Sum:
    return Sum(Case(When(then=Value(1), **conditions), default=Value(0), output_field=IntegerField()))


def _sum_into(target: dict, key, values: dict, sign: int = 1) -> None:
    row = target.setdefault(key, defaultdict(int))
    for name, value in values.items():
        row[name] += sign * (value or 0)


@transaction.atomic
def ingest_up_to(*, cutoff: dt.datetime) -> Ingest:
    """The ingest covering everything recorded up to `cutoff`; made once (a second call with
    the same cut-off, or an earlier one, returns the ingest that already covers it)."""
    covering = Ingest.objects.filter(cutoff__gte=cutoff).order_by("cutoff").first()
    if covering is not None:
        return covering
    last = Ingest.objects.select_for_update().order_by("-cutoff").first()
    previous = last.cutoff if last else None
    ingest = Ingest.objects.create(cutoff=cutoff, previous_cutoff=previous)
    counts = {}
    events = ValueEvent.objects.filter(_recorded("logged_at", previous, cutoff))
    reversed_events = ValueEvent.objects.filter(
        _recorded("transaction__reversed_by__recorded_at", previous, cutoff)
    )
    counts["events"] = events.count()
    counts["reversals"] = reversed_events.count()
    counts["value_days"] = _value_days(ingest, events, reversed_events)
    counts["category_days"] = _dimension_days(ingest, CategoryDay, "category_id", events, reversed_events)
    counts["solution_days"] = _dimension_days(
        ingest,
        SolutionDay,
        "solution_id",
        events.filter(solution__isnull=False),
        reversed_events.filter(solution__isnull=False),
    )
    counts["partner_days"] = _partner_days(ingest, previous, cutoff)
    counts["earned_days"] = _earned_days(ingest, previous, cutoff)
    signals = UserSignal.objects.filter(_recorded("logged_at", previous, cutoff))
    counts["signals"] = signals.count()
    counts["signal_days"] = _signal_days(ingest, signals)
    counts["user_days"] = _user_days(ingest, events, signals)
    ingest.counts = counts
    ingest.save(update_fields=["counts"])
    return ingest


def _value_days(ingest, events, reversed_events) -> int:
    keys = ("occurred_on", "emc_id", "me_id", "currency")
    aggregates = {
        "payments": _one_if(kind=PAYMENT),
        "customized": _one_if(kind=PAYMENT, customized=True),
        "net_minor": Sum(_signed()),
        "noncore_net_minor": Sum(
            Case(When(category__is_core=False, then=_signed()), default=Value(0), output_field=IntegerField())
        ),
    }
    rows: dict = {}
    for sign, qs in ((1, events), (-1, reversed_events)):
        for row in qs.values(*keys).annotate(**aggregates).order_by():
            _sum_into(rows, tuple(row[k] for k in keys), {a: row[a] for a in aggregates}, sign)
    ValueDay.objects.bulk_create(
        [
            ValueDay(ingest=ingest, day=day, emc_id=emc, me_id=me, currency=cur, **values)
            for (day, emc, me, cur), values in rows.items()
        ],
        batch_size=BULK,
    )
    return len(rows)


def _dimension_days(ingest, model, field: str, events, reversed_events) -> int:
    keys = ("occurred_on", "emc_id", field, "currency")
    rows: dict = {}
    for sign, qs in ((1, events), (-1, reversed_events)):
        for row in qs.values(*keys).annotate(net=Sum(_signed())).order_by():
            _sum_into(rows, tuple(row[k] for k in keys), {"net_minor": row["net"]}, sign)
    model.objects.bulk_create(
        [
            model(ingest=ingest, day=day, emc_id=emc, currency=cur, **{field: dim}, **values)
            for (day, emc, dim, cur), values in rows.items()
        ],
        batch_size=BULK,
    )
    return len(rows)


def _partner_days(ingest, previous, cutoff) -> int:
    keys = ("event__occurred_on", "event__emc_id", "partner_id", "event__currency")
    aggregates = {"events": _one_if(event__kind=PAYMENT), "value_minor": Sum(_signed("event__"))}
    new = ValueEventPartner.objects.filter(_recorded("event__logged_at", previous, cutoff))
    undone = ValueEventPartner.objects.filter(
        _recorded("event__transaction__reversed_by__recorded_at", previous, cutoff)
    )
    rows: dict = {}
    for sign, qs in ((1, new), (-1, undone)):
        for row in qs.values(*keys).annotate(**aggregates).order_by():
            _sum_into(rows, tuple(row[k] for k in keys), {a: row[a] for a in aggregates}, sign)
    PartnerDay.objects.bulk_create(
        [
            PartnerDay(ingest=ingest, day=day, emc_id=emc, partner_id=p, currency=cur, **values)
            for (day, emc, p, cur), values in rows.items()
        ],
        batch_size=BULK,
    )
    return len(rows)


def _earned_days(ingest, previous, cutoff) -> int:
    legs = (
        Leg.objects.filter(_recorded("transaction__recorded_at", previous, cutoff))
        .filter(account__kind__in=[Account.Kind.ME, Account.Kind.PARTNER])
        .annotate(
            event_emc=Coalesce(
                "transaction__value_event__emc_id", "transaction__reverses__value_event__emc_id"
            ),
            owner=Coalesce("account__me_id", "account__partner_id"),
        )
        .filter(event_emc__isnull=False)
        .values("effective_on", "event_emc", "account__kind", "owner", "currency")
        .annotate(total=Sum("amount_minor"))
        .order_by()
    )
    rows = [
        EarnedDay(
            ingest=ingest,
            day=row["effective_on"],
            emc_id=row["event_emc"],
            owner_kind=row["account__kind"],
            owner_id=row["owner"],
            currency=row["currency"],
            earned_minor=-row["total"],  # credits are negative legs
        )
        for row in legs
    ]
    EarnedDay.objects.bulk_create(rows, batch_size=BULK)
    return len(rows)


def _related_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}kind": UserSignal.Kind.OWNERSHIP}) & (
        Q(**{f"{prefix}products_owned__gte": settings.SCORING_OWNED_PRODUCTS})
        | Q(**{f"{prefix}related_purchase": True})
    )


def _signal_days(ingest, signals) -> int:
    rating = UserSignal.Kind.RATING
    rows = signals.values("occurred_on", "emc_id", "me_id").annotate(
        ratings=_one_if(kind=rating),
        ratings_above=_one_if(kind=rating, rating__gt=F("expectation")),
        margin_sum=Sum(
            Case(
                When(kind=rating, then=F("rating") - F("expectation")),
                default=Value(0),
                output_field=IntegerField(),
            )
        ),
        cocreations=_one_if(kind=UserSignal.Kind.CO_CREATION),
        stories=_one_if(kind=UserSignal.Kind.STORY),
        related=Sum(Case(When(_related_q(), then=Value(1)), default=Value(0), output_field=IntegerField())),
    )
    objs = [
        SignalDay(
            ingest=ingest,
            day=r["occurred_on"],
            emc_id=r["emc_id"],
            me_id=r["me_id"],
            **{
                k: r[k]
                for k in ("ratings", "ratings_above", "margin_sum", "cocreations", "stories", "related")
            },
        )
        for r in rows.order_by()
    ]
    SignalDay.objects.bulk_create(objs, batch_size=BULK)
    return len(objs)


FLAGS = ("paid", "superior", "cocreation", "story", "related")


def _user_days(ingest, events, signals) -> int:
    keys = ("occurred_on", "emc_id", "me_id", "user_ref")
    rows: dict = {}
    for row in events.filter(kind=PAYMENT).values(*keys).distinct().order_by():
        rows.setdefault(tuple(row[k] for k in keys), set()).add("paid")
    rating = UserSignal.Kind.RATING
    signal_flags = signals.values(*keys).annotate(
        superior=_one_if(kind=rating, rating__gt=F("expectation")),
        cocreation=_one_if(kind=UserSignal.Kind.CO_CREATION),
        story=_one_if(kind=UserSignal.Kind.STORY),
        related=Sum(Case(When(_related_q(), then=Value(1)), default=Value(0), output_field=IntegerField())),
    )
    for row in signal_flags.order_by():
        flags = {name for name in FLAGS[1:] if row[name]}
        if flags:
            rows.setdefault(tuple(row[k] for k in keys), set()).update(flags)
    UserDay.objects.bulk_create(
        [
            UserDay(
                ingest=ingest,
                day=day,
                day_no=day.toordinal(),
                emc_id=emc,
                me_id=me,
                user_ref=user,
                **{name: name in flags for name in FLAGS},
            )
            for (day, emc, me, user), flags in rows.items()
        ],
        batch_size=BULK,
    )
    return len(rows)
