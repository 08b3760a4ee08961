"""Trailing-window sums of the daily rollups, kept as state so a night costs what the night brings.

A night's figures need the rollups (scoring.models.Rollup) summed over windows ending on its
date (the 90-day period, the 90 days before it, the year; the scorecards' windows), as recorded
up to its ingest. Read whole, that is every rollup row of every window, every night: the cost of
the history. Instead the sums of each night are stored (`WindowState` / `WindowSum`, one state
per name and day) and a later night advances them in SQL, for each span [s, e] that was
[s - g, e - g] (g days later, g <= MAX_GAP_DAYS) as of the earlier ingest I0:

    sums(D, I) = sums(D - g, I0)
               + rows(day in [s, e],         I0 < ingest <= I)   the ingests since (the night,
                                                                  back-dated rows included)
               + rows(day in [e - g + 1, e], ingest <= I0)       the days entering
               - rows(day in [s - g, s - 1], ingest <= I0)       the days leaving

which holds because the rollups are append-only, one row per ingest, and ingests are numbered in
cut-off order (scoring.ingest). With no usable earlier state (the first night, a gap, a changed
shape such as another SCORING_PERIOD_DAYS, an earlier state of a later ingest) the sums are read
whole from the rollups and stored; `rebuild=True` forces that (the same sums: a test holds them
equal). Either way one INSERT ... SELECT, whatever the number of keys or events. The sums are
exact integers, so the state of (day, ingest) is a pure function of what was recorded up to the
ingest, however it was reached.

What is summed is a `Shape`: spans (days back from the state's day) and kinds (a `Source`: which
rollup, kept per which EMC column and key column, which columns summed over which spans).
`SCORING` is the nightly figures' (scoring.inputs reads it); the partner scorecards build theirs
from JUDGING_WINDOWS (judging/windows.py).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from ledger.models import Account
from scoring.models import (
    CategoryDay,
    EarnedDay,
    Ingest,
    PartnerDay,
    SignalDay,
    SolutionDay,
    ValueDay,
    WindowState,
    WindowSum,
)

MAX_GAP_DAYS = 7  # a later night advances at most this many days, else it reads the windows whole
KEEP_DAYS = 2  # states kept per name behind the newest (a re-run of a date advances from the day before)
NUMS = ("n1", "n2", "n3", "n4", "n5", "n6")


@dataclass(frozen=True)
class Source:
    """One rollup summed: its `columns` (as n1.. in order) over the shape's `spans` (indexes),
    kept per the value of the `emc` column and the `key` column ("0": not kept apart) and the
    `currency` column ("''": none), the rows meeting `where` (SQL over constants) only."""

    model: type
    columns: tuple[str, ...]
    spans: tuple[int, ...]
    emc: str = "0"
    key: str = "0"
    currency: str = "currency"
    where: str = ""

    def signature(self) -> list:
        return [
            self.model._meta.db_table,
            list(self.columns),
            list(self.spans),
            self.emc,
            self.key,
            self.currency,
            self.where,
        ]


@dataclass(frozen=True)
class Shape:
    """What a state sums: `spans` as (first, last) days back from its day, i.e. the days
    [day - first, day - last], and its kinds (name -> Source)."""

    name: str
    spans: tuple[tuple[int, int], ...]
    kinds: dict = field(default_factory=dict)

    def signature(self) -> dict:
        return {
            "spans": [list(s) for s in self.spans],
            "kinds": {kind: source.signature() for kind, source in sorted(self.kinds.items())},
        }

    def dates(self, day: dt.date) -> list[tuple[dt.date, dt.date]]:
        return [(day - dt.timedelta(days=first), day - dt.timedelta(days=last)) for first, last in self.spans]


# --- the nightly figures' shape (scoring.inputs) ---------------------------------------------

PERIOD, PREVIOUS, YEAR = 0, 1, 2  # the spans of `scoring_shape`


def scoring_shape() -> Shape:
    """The trailing windows of scoring.inputs.Window (the period, the period before it, the
    year), the rollups the chunks, the ecosystem and the MEs read, kept per EMC."""
    period, year = settings.SCORING_PERIOD_DAYS, settings.SCORING_YEAR_DAYS
    return Shape(
        name="scoring",
        spans=((period - 1, 0), (2 * period - 1, period), (year - 1, 0)),
        kinds={
            "value": Source(
                ValueDay,
                ("payments", "customized", "net_minor", "noncore_net_minor"),
                (PERIOD, PREVIOUS),
                emc="emc_id",
                key="me_id",
            ),
            "category": Source(CategoryDay, ("net_minor",), (YEAR,), emc="emc_id", key="category_id"),
            "solution": Source(SolutionDay, ("net_minor",), (PERIOD,), emc="emc_id", key="solution_id"),
            "partner": Source(
                PartnerDay, ("value_minor",), (PERIOD, PREVIOUS), emc="emc_id", key="partner_id"
            ),
            "earned_p": Source(
                EarnedDay,
                ("earned_minor",),
                (PERIOD, YEAR),
                emc="emc_id",
                key="owner_id",
                where=f"owner_kind = '{Account.Kind.PARTNER}'",
            ),
            "earned_m": Source(
                EarnedDay,
                ("earned_minor",),
                (PERIOD,),
                emc="emc_id",
                key="owner_id",
                where=f"owner_kind = '{Account.Kind.ME}'",
            ),
            "signal": Source(
                SignalDay,
                ("ratings", "ratings_above", "margin_sum", "cocreations", "stories", "related"),
                (PERIOD,),
                emc="emc_id",
                key="me_id",
                currency="''",
            ),
        },
    )


# --- advancing ---------------------------------------------------------------------------------


def _select(kind: str, source: Source, span: int, sign: int, first, last, above: int, up_to: int):
    """One grouped SELECT of a source's rows of days [first, last] and ingests (above, up_to]."""
    sums = [f"{sign} * SUM({c})" for c in source.columns] + ["0"] * (len(NUMS) - len(source.columns))
    where = "day >= %s AND day <= %s AND ingest_id > %s AND ingest_id <= %s" + (
        f" AND {source.where}" if source.where else ""
    )
    group = [c for c in (source.emc, source.key, source.currency) if c.isidentifier()]  # not the constants
    sql = (
        f"SELECT '{kind}' AS kind, {span} AS span, {source.emc} AS emc, {source.key} AS key, "
        f"{source.currency} AS currency, {sign} * COUNT(*) AS rows, "
        + ", ".join(f"{s} AS {n}" for s, n in zip(sums, NUMS, strict=True))
        + f" FROM {source.model._meta.db_table} WHERE {where}"
        + (f" GROUP BY {', '.join(group)}" if group else "")
    )
    return sql, [first, last, above, up_to]


def _parts(shape: Shape, day: dt.date, ingest_id: int, previous: WindowState | None) -> tuple[list, list]:
    """The SELECTs whose rows, summed, are the state of (day, ingest): the windows whole, or the
    previous state plus the night, the days entering and less the days leaving."""
    sql, params = [], []
    one = dt.timedelta(days=1)
    for kind, source in shape.kinds.items():
        for span in source.spans:
            start, end = shape.dates(day)[span]
            if previous is None:
                pieces = [(1, start, end, 0, ingest_id)]
            else:
                gap, before = dt.timedelta(days=(day - previous.day).days), previous.ingest_id
                pieces = [
                    (1, start, end, before, ingest_id),
                    (1, max(start, end - gap + one), end, 0, before),
                    (-1, start - gap, min(start - one, end - gap), 0, before),
                ]
            for sign, first, last, above, up_to in pieces:
                if first <= last:
                    s, p = _select(kind, source, span, sign, first, last, above, up_to)
                    sql.append(s)
                    params += p
    if previous is not None:
        sql.append(
            f"SELECT kind, span, emc, key, currency, rows, {', '.join(NUMS)} "
            f"FROM {WindowSum._meta.db_table} WHERE state_id = %s"
        )
        params.append(previous.pk)
    return sql, params


def _previous(shape: Shape, signature: dict, day: dt.date, ingest_id: int) -> WindowState | None:
    """The newest state of the shape's name before `day`, within MAX_GAP_DAYS, as of the
    ingest or an earlier one, of the same shape; None when there is none to advance."""
    state = (
        WindowState.objects.filter(
            name=shape.name, day__lt=day, day__gte=day - dt.timedelta(days=MAX_GAP_DAYS)
        )
        .order_by("-day")
        .first()
    )
    if state is None or state.ingest_id > ingest_id or state.shape != signature:
        return None
    return state


def window_sums(shape: Shape, *, day: dt.date, ingest_id: int, rebuild: bool = False) -> WindowState:
    """Store the state of `day` as of the ingest: advanced from the newest earlier state when
    there is one (and not `rebuild`), else read whole. Drops the name's states older than
    KEEP_DAYS behind the newest. Serialized on the ingest's row (two callers of one ingest
    never write the same state at once)."""
    signature = shape.signature()
    nums = ", ".join(f"SUM({n})" for n in NUMS)
    with transaction.atomic():
        ingest = Ingest.objects.select_for_update(no_key=True).get(pk=ingest_id)
        previous = None if rebuild else _previous(shape, signature, day, ingest_id)
        WindowState.objects.filter(name=shape.name, day=day).delete()
        state = WindowState.objects.create(
            name=shape.name, day=day, ingest=ingest, shape=signature, advanced=previous is not None
        )
        sql, params = _parts(shape, day, ingest_id, previous)
        if sql:
            with connection.cursor() as cur:
                cur.execute(
                    f"INSERT INTO {WindowSum._meta.db_table} "
                    f"(state_id, kind, span, emc, key, currency, rows, {', '.join(NUMS)}) "
                    f"SELECT %s, kind, span, emc, key, currency, SUM(rows), {nums} "
                    f"FROM ({' UNION ALL '.join(sql)}) u "
                    "GROUP BY kind, span, emc, key, currency HAVING SUM(rows) <> 0",
                    [state.pk, *params],
                )
        newest = (
            WindowState.objects.filter(name=shape.name).order_by("-day").values_list("day", flat=True).first()
        )
        WindowState.objects.filter(
            name=shape.name, day__lt=newest - dt.timedelta(days=KEEP_DAYS - 1)
        ).exclude(pk=state.pk).delete()
    return state


def state_of(shape: Shape, *, day: dt.date, ingest_id: int) -> WindowState:
    """The stored state of (day, ingest) for the shape, made now (`window_sums`) if there is
    none, e.g. a resumed run whose state a later night dropped. Under the ingest row's lock, so
    chunks on several workers make it once."""
    signature = shape.signature()

    def stored():
        state = WindowState.objects.filter(name=shape.name, day=day).first()
        return state if state and state.ingest_id == ingest_id and state.shape == signature else None

    state = stored()
    if state is not None:
        return state
    with transaction.atomic():
        Ingest.objects.select_for_update(no_key=True).get(pk=ingest_id)
        return stored() or window_sums(shape, day=day, ingest_id=ingest_id)


# --- reading -------------------------------------------------------------------------------------


def sums_read(state: WindowState, *, emcs: list[int] | None = None) -> list[tuple]:
    """The state's rows as (kind, span, emc, key, currency, n1..n6), ordered; only the EMCs
    given when `emcs` is not None."""
    sql = (
        f"SELECT kind, span, emc, key, currency, {', '.join(NUMS)} FROM {WindowSum._meta.db_table} "
        "WHERE state_id = %s"
    )
    params: list = [state.pk]
    if emcs is not None:
        if not emcs:
            return []
        sql += f" AND emc IN ({', '.join(['%s'] * len(emcs))})"
        params += list(emcs)
    with connection.cursor() as cur:
        cur.execute(sql + " ORDER BY kind, span, emc, key, currency", params)
        return cur.fetchall()


def sums_over_emcs(state: WindowState) -> list[tuple]:
    """The state's rows summed over the EMCs: (kind, span, key, currency, n1..n6), ordered."""
    nums = ", ".join(f"SUM({n})" for n in NUMS)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT kind, span, key, currency, {nums} FROM {WindowSum._meta.db_table} "
            "WHERE state_id = %s GROUP BY kind, span, key, currency ORDER BY kind, span, key, currency",
            [state.pk],
        )
        return [(*r[:4], *(int(n) for n in r[4:])) for r in cur.fetchall()]
