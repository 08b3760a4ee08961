"""The scorecards' window sums, kept as state so a night costs what the night brings.

Each night the scorecards need, per partner, the scoring rollups summed over every window
(JUDGING_WINDOWS days ending on the run's date, and the same number of days before, for the
trends) as recorded up to the run's ingest: the shape `scoring.inputs.partner_windows` returns.
Read whole, that is every rollup row of two years each night. Instead the sums of each night are
stored (`WindowState` / `WindowSum`) and the next night advances them in SQL, for each span
[s, e] that was [s - g, e - g] (g days later, g <= MAX_GAP_DAYS) as of the earlier ingest I0:

    sums(D, I) = sums(D - g, I0)
               + rows(day in [s, e],         I0 < ingest <= I)   the ingests since (the night)
               + rows(day in [e - g + 1, e], ingest <= I0)       the days entering
               - rows(day in [s - g, s - 1], ingest <= I0)       the days leaving

which holds because the rollups are append-only, one row per ingest (scoring.models.Rollup). With
no usable earlier state (the first night, a gap, a changed JUDGING_WINDOWS, an older ingest) the
sums are read whole from the rollups and stored; `rebuild=True` forces that. Either way a fixed
number of INSERT ... SELECT statements, whatever the number of partners.
"""

import datetime as dt
from collections import defaultdict

from django.db import connection, transaction

from judging.models import WindowState, WindowSum
from scoring.models import EarnedDay, Ingest, PartnerDay, PartnerSignalDay, SolutionDay, ValueDay

MAX_GAP_DAYS = 7  # a later night advances at most this many days, else it reads the windows whole
KEEP_DAYS = 2  # states kept behind the newest written (a re-run of a date advances from the day before)

# kind -> (rollup, key column, currency column, summed columns as n1.., extra condition)
SOURCES = {
    "v": (PartnerDay, "partner_id", "currency", ("events", "value_minor", "refunds", "refund_minor"), ""),
    "e": (EarnedDay, "owner_id", "currency", ("earned_minor",), "owner_kind = 'partner'"),
    "s": (
        PartnerSignalDay,
        "partner_id",
        "''",
        ("ratings", "ratings_above", "ratings_below", "margin_sum", "cocreations"),
        "",
    ),
    "o": (SolutionDay, "solution_id", "currency", ("net_minor",), ""),
    "t": (ValueDay, "0", "currency", ("net_minor",), ""),
}
NUMS = ("n1", "n2", "n3", "n4", "n5")
SIGNAL_NAMES = ("ratings", "ratings_above", "ratings_below", "margin_sum", "cocreations")
VALUE_NAMES = ("events", "net", "refunds", "refund")


def _pieces(kind: str, parts: list[tuple[int, int, dt.date, dt.date, int, int]]) -> tuple[list[str], list]:
    """One grouped SELECT per part (span, sign, first day, last day, ingest above, ingest up to)."""
    model, key, currency, columns, extra = SOURCES[kind]
    table = model._meta.db_table
    sums = [f"SUM({c})" for c in columns] + ["0"] * (len(NUMS) - len(columns))
    where = "day >= %s AND day <= %s AND ingest_id > %s AND ingest_id <= %s" + (
        f" AND {extra}" if extra else ""
    )
    group = ", ".join(c for c in (key, currency) if c.isidentifier())  # not the constants
    sql, params = [], []
    for span, sign, first, last, above, up_to in parts:
        if first > last:
            continue
        signed = ", ".join(f"{sign} * {s} AS {n}" for s, n in zip(sums, NUMS, strict=True))
        sql.append(
            f"SELECT {span} AS span, {key} AS key, {currency} AS currency, {sign} * COUNT(*) AS rows, {signed} "
            f"FROM {table} WHERE {where} GROUP BY {group}"
        )
        params += [first, last, above, up_to]
    return sql, params


def _write(state: WindowState, kind: str, parts: list, previous: WindowState | None) -> None:
    """INSERT the state's sums of one kind: the parts, plus the previous state's sums if any."""
    sql, params = _pieces(kind, parts)
    if previous is not None:
        sql.append(
            f"SELECT span, key, currency, rows, {', '.join(NUMS)} FROM {WindowSum._meta.db_table} "
            "WHERE state_id = %s AND kind = %s"
        )
        params += [previous.pk, kind]
    if not sql:
        return
    nums = ", ".join(f"SUM({n})" for n in NUMS)
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {WindowSum._meta.db_table} (state_id, kind, span, key, currency, rows, {', '.join(NUMS)}) "
            f"SELECT %s, %s, span, key, currency, SUM(rows), {nums} FROM ({' UNION ALL '.join(sql)}) u "
            "GROUP BY span, key, currency HAVING SUM(rows) <> 0",
            [state.pk, kind, *params],
        )


def _previous(day: dt.date, ingest_id: int, windows: list[int]) -> WindowState | None:
    """The newest state before `day`, within MAX_GAP_DAYS, as of the run's ingest or an earlier
    one, computed for the same windows; None when there is none to advance."""
    state = (
        WindowState.objects.filter(day__lt=day, day__gte=day - dt.timedelta(days=MAX_GAP_DAYS))
        .order_by("-day")
        .first()
    )
    if state is None or state.ingest_id > ingest_id or state.windows != windows:
        return None
    return state


def _read(state: WindowState, spans: list[tuple[dt.date, dt.date]]) -> list[dict]:
    """The stored sums in `scoring.inputs.partner_windows`' shape."""
    out = [
        {
            "start": start,
            "end": end,
            "value": defaultdict(dict),
            "earned": defaultdict(dict),
            "signals": {},
            "solutions": defaultdict(dict),
            "total": {},
        }
        for start, end in spans
    ]
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT span, kind, key, currency, {', '.join(NUMS)} FROM {WindowSum._meta.db_table} WHERE state_id = %s",
            [state.pk],
        )
        for span, kind, key, currency, *n in cur.fetchall():
            window = out[span]
            if kind == "v":
                window["value"][key][currency] = dict(zip(VALUE_NAMES, n, strict=False))
            elif kind == "e":
                window["earned"][key][currency] = n[0]
            elif kind == "s":
                window["signals"][key] = dict(zip(SIGNAL_NAMES, n, strict=True))
            elif kind == "o":
                window["solutions"][currency][key] = n[0]
            else:
                window["total"][currency] = n[0]
    return out


def window_sums(
    *,
    day: dt.date,
    ingest_id: int,
    windows: list[int],
    spans: list[tuple[dt.date, dt.date]],
    rebuild: bool = False,
) -> tuple[list[dict], bool]:
    """The rollups summed over each span (ending on or before `day`) as of the ingest, advanced
    from the newest earlier state when there is one (and not `rebuild`), stored as the state of
    `day`. Returns the sums in `partner_windows`' shape, and whether they were advanced."""
    previous = None if rebuild else _previous(day, ingest_id, windows)
    with transaction.atomic():
        WindowState.objects.filter(day=day).delete()
        state = WindowState.objects.create(
            day=day, ingest=Ingest.objects.get(pk=ingest_id), windows=windows, advanced=previous is not None
        )
        for kind in SOURCES:
            if previous is None:
                parts = [(i, 1, start, end, 0, ingest_id) for i, (start, end) in enumerate(spans)]
            else:
                gap, before, one = (day - previous.day).days, previous.ingest_id, dt.timedelta(days=1)
                parts = []
                for i, (start, end) in enumerate(spans):
                    parts += [
                        (i, 1, start, end, before, ingest_id),
                        (i, 1, max(start, end - dt.timedelta(days=gap - 1)), end, 0, before),
                        (
                            i,
                            -1,
                            start - dt.timedelta(days=gap),
                            min(start - one, end - dt.timedelta(days=gap)),
                            0,
                            before,
                        ),
                    ]
            _write(state, kind, parts, previous)
        newest = WindowState.objects.order_by("-day").values_list("day", flat=True).first()
        WindowState.objects.filter(day__lt=newest - dt.timedelta(days=KEEP_DAYS - 1)).exclude(
            pk=state.pk
        ).delete()
    return _read(state, spans), previous is not None
