"""The ingest step: what was recorded since the last cut-off, aggregated into daily rollups.

One `Ingest` covers the rows recorded in (previous cut-off, cut-off]: value events by
`logged_at`, reversals by their transaction's `recorded_at`, share legs by their transaction's
`recorded_at`, user signals by `logged_at`. Each rollup is one grouped query over those rows
(the recorded-time indexes find them) and one bulk insert: the cost follows the night's rows,
never the history. A reversal takes its event's value out on the event's day; a reversed payment
still shows that its user was active (reversals correct money, not behaviour).
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from ledger.models import Account, Leg, Transaction, UserSignal, ValueEvent, ValueEventPartner
from scoring.models import (
    CategoryDay,
    EarnedDay,
    Ingest,
    PartnerDay,
    PartnerSignalDay,
    SignalDay,
    SolutionDay,
    UserDay,
    ValueDay,
)

PAYMENT = ValueEvent.Kind.PAYMENT
REFUND = ValueEvent.Kind.REFUND


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
    counts["partner_signal_days"] = _partner_signal_days(ingest, signals)
    counts["user_days"] = _user_days(ingest, events, signals)
    ingest.counts = counts
    ingest.save(update_fields=["counts"])
    return ingest


def _insert(model, ingest: Ingest, columns: list[str], qs) -> int:
    """INSERT INTO the rollup SELECT the grouped query: the database aggregates and writes, no
    row passes through Python. `qs` selects the day, then exactly `columns`, in order.

    The rows are written in day order: a trailing window reads the days entering and leaving
    it (scoring.windows, the lapsing users of scoring.users), so a day's rows should share
    pages. A night's ingest is mostly one day anyway; an ingest of many days (the first one, a
    rebuild over a year, a backfill) would otherwise leave each day's rows spread over the
    whole table in the grouping's hash order, one page read per row for every later night."""
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:  # a window with nothing in it
        return 0
    table = model._meta.db_table
    names = ", ".join(model._meta.get_field(c).column for c in ["ingest", "day", *columns])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT %s, sub.* FROM ({sql}) sub ORDER BY 2",
            [ingest.pk, *params],
        )
        return cursor.rowcount


def _value_days(ingest, events, reversed_events) -> int:
    """Payments less refunds; a reversal adds the negation on the event's day (rollups are
    summed when read, so a key may have several rows)."""
    n = 0
    for sign, qs in ((1, events), (-1, reversed_events)):
        grouped = qs.values("occurred_on", "emc_id", "me_id", "currency").annotate(
            payments=sign * _one_if(kind=PAYMENT),
            customized=sign * _one_if(kind=PAYMENT, customized=True),
            net=sign * Sum(_signed()),
            noncore=sign
            * Sum(
                Case(
                    When(category__is_core=False, then=_signed()),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            ),
        )
        n += _insert(
            ValueDay,
            ingest,
            ["emc_id", "me_id", "currency", "payments", "customized", "net_minor", "noncore_net_minor"],
            grouped.order_by(),
        )
    return n


def _dimension_days(ingest, model, field: str, events, reversed_events) -> int:
    n = 0
    for sign, qs in ((1, events), (-1, reversed_events)):
        grouped = qs.values("occurred_on", "emc_id", field, "currency").annotate(net=sign * Sum(_signed()))
        n += _insert(model, ingest, ["emc_id", field, "currency", "net_minor"], grouped.order_by())
    return n


def _first_id(qs) -> int | None:
    """The smallest id among the window's rows: a bound the planner can use on the referencing
    table's index (every row of the window has an id at least this), so a night never scans the
    history's legs or partner links. Correct whatever the order of ids and recorded times.
    `id + 0`: a MIN of the bare id is planned as a walk up the primary key until a row of the
    window turns up, which reads the whole history first (0.9 s at 3,000,000 events); the
    expression makes the window's own index find its rows (20 ms)."""
    return qs.aggregate(first=Min(ExpressionWrapper(F("id") + 0, output_field=BigIntegerField())))["first"]


def _partner_days(ingest, previous, cutoff) -> int:
    first_event = _first_id(ValueEvent.objects.filter(_recorded("logged_at", previous, cutoff)))
    new = ValueEventPartner.objects.filter(
        _recorded("event__logged_at", previous, cutoff), event_id__gte=first_event or 0
    )
    if first_event is None:
        new = new.none()
    undone = ValueEventPartner.objects.filter(
        _recorded("event__transaction__reversed_by__recorded_at", previous, cutoff)
    )
    n = 0
    for sign, qs in ((1, new), (-1, undone)):
        grouped = qs.values("event__occurred_on", "event__emc_id", "partner_id", "event__currency").annotate(
            events=sign * _one_if(event__kind=PAYMENT),
            value=sign * Sum(_signed("event__")),
            refunds=sign * _one_if(event__kind=REFUND),
            refund=sign
            * Sum(
                Case(
                    When(event__kind=REFUND, then=F("event__amount_minor")),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            ),
        )
        n += _insert(
            PartnerDay,
            ingest,
            ["emc_id", "partner_id", "currency", "events", "value_minor", "refunds", "refund_minor"],
            grouped.order_by(),
        )
    return n


def _earned_days(ingest, previous, cutoff) -> int:
    first = _first_id(Transaction.objects.filter(_recorded("recorded_at", previous, cutoff)))
    if first is None:
        return 0
    legs = (
        Leg.objects.filter(_recorded("transaction__recorded_at", previous, cutoff), transaction_id__gte=first)
        .filter(account__kind__in=[Account.Kind.ME, Account.Kind.PARTNER])
        .annotate(
            event_emc=Coalesce(
                "transaction__value_event__emc_id", "transaction__reverses__value_event__emc_id"
            ),
            owner=Coalesce("account__me_id", "account__partner_id"),
        )
        .filter(event_emc__isnull=False)
        .values("effective_on", "event_emc", "account__kind", "owner", "currency")
        .annotate(earned=-Sum("amount_minor"))  # credits are negative legs
    )
    return _insert(
        EarnedDay, ingest, ["emc_id", "owner_kind", "owner_id", "currency", "earned_minor"], legs.order_by()
    )


def _related_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}kind": UserSignal.Kind.OWNERSHIP}) & (
        Q(**{f"{prefix}products_owned__gte": settings.SCORING_OWNED_PRODUCTS})
        | Q(**{f"{prefix}related_purchase": True})
    )


def _signal_days(ingest, signals) -> int:
    rating = UserSignal.Kind.RATING
    grouped = signals.values("occurred_on", "emc_id", "me_id").annotate(
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
    return _insert(
        SignalDay,
        ingest,
        ["emc_id", "me_id", "ratings", "ratings_above", "margin_sum", "cocreations", "stories", "related"],
        grouped.order_by(),
    )


def _partner_signal_days(ingest, signals) -> int:
    """Ratings and co-creations on a solution, once per partner providing it (the join to the
    solution's providers is done by the database)."""
    rating = UserSignal.Kind.RATING
    grouped = (
        signals.filter(solution__provider_partners__isnull=False)
        .values("occurred_on", "emc_id", "solution__provider_partners")
        .annotate(
            ratings=_one_if(kind=rating),
            ratings_above=_one_if(kind=rating, rating__gt=F("expectation")),
            ratings_below=_one_if(kind=rating, rating__lt=F("expectation")),
            margin_sum=Sum(
                Case(
                    When(kind=rating, then=F("rating") - F("expectation")),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            ),
            cocreations=_one_if(kind=UserSignal.Kind.CO_CREATION),
        )
    )
    return _insert(
        PartnerSignalDay,
        ingest,
        ["emc_id", "partner_id", "ratings", "ratings_above", "ratings_below", "margin_sum", "cocreations"],
        grouped.order_by(),
    )


FLAGS = ("paid", "superior", "cocreation", "story", "related")
USER_COLUMNS = ["day_no", "emc_id", "me_id", "user_ref", *FLAGS]


def _any(condition: Q) -> Cast:
    """True when any grouped row meets `condition` (MAX over 0/1, cast: portable)."""
    return Cast(
        Max(Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())),
        BooleanField(),
    )


def _user_days(ingest, events, signals) -> int:
    """One row per (day, EMC, ME, user) for the payments and one for the signals (the state
    folds them with MAX); `day_no` is the day's ordinal, computed by the database."""
    payments = (
        events.filter(kind=PAYMENT)
        .values("occurred_on")
        .annotate(
            dn=DayOrdinal("occurred_on"),
            e=F("emc_id"),
            m=F("me_id"),
            u=F("user_ref"),
            paid=Value(True, output_field=BooleanField()),
            superior=Value(False, output_field=BooleanField()),
            cocreation=Value(False, output_field=BooleanField()),
            story=Value(False, output_field=BooleanField()),
            related=Value(False, output_field=BooleanField()),
        )
        .values_list("occurred_on", "dn", "e", "m", "u", *FLAGS)
        .distinct()
    )
    n = _insert(UserDay, ingest, USER_COLUMNS, payments.order_by())
    rating = UserSignal.Kind.RATING
    flagged = (
        signals.filter(
            Q(kind=rating, rating__gt=F("expectation"))
            | Q(kind__in=[UserSignal.Kind.CO_CREATION, UserSignal.Kind.STORY])
            | _related_q()
        )
        .values("occurred_on", "emc_id", "me_id", "user_ref")
        .annotate(
            dn=Max(DayOrdinal("occurred_on")),
            paid=Value(False, output_field=BooleanField()),
            superior=_any(Q(kind=rating, rating__gt=F("expectation"))),
            cocreation=_any(Q(kind=UserSignal.Kind.CO_CREATION)),
            story=_any(Q(kind=UserSignal.Kind.STORY)),
            related=_any(_related_q()),
        )
        .values_list("occurred_on", "dn", "emc_id", "me_id", "user_ref", *FLAGS)
    )
    return n + _insert(UserDay, ingest, USER_COLUMNS, flagged.order_by())


class DayOrdinal(Func):
    """date.toordinal() in SQL (1 for 0001-01-01)."""

    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql}) - DATE '0001-01-01' + 1)", params

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(julianday({sql}) - 1721424.5 AS INTEGER)", params
