"""Per-user state and the loyalty classes (set-based SQL, the same on PostgreSQL and SQLite).

For each end user in each scope (the ecosystem, each EMC, each ME) the state keeps the last day
the user paid and the last day of each of the four life-long signals (scoring.definitions), the
class as of the state's date, and `lapses_on`: the first day the class would change if nothing
new came. Advancing the state from date W to D reads only the rollup rows the new ingests added
(and the rare rows dated after W recorded earlier), merges and re-classifies the touched users
in a temp table and writes each of their state rows once, re-classifies those whose
`lapses_on` has come, and counts the classes as the previous run's counts plus what those users
changed (each row keeps the class and the signals it was counted with): the cost follows the
night's rows and the users whose signals age out, not the number of users or the history.

The users whose class lapses by the day are found from the rollups, not from an index on the
state: a class lapses when the last payment or signal that held it leaves its window, so the
users with a payment dated a window's length before a day since the state's, or a signal dated
a signal window's length before, are the candidates (an index range on `UserDay.day_no`), and
the state's own `lapses_on` decides among them. So the state has one index, its unique key,
which a night never changes: on PostgreSQL its updates are heap-only (HOT: the table keeps a
fifth of each page free, migration 0006) and rewrite no index. A rebuild writes each row once,
classified as it is inserted."""

from django.conf import settings
from django.db import connection, transaction

from scoring.models import ClassCount, Ingest, StateMark, UserDay, UserState

NEVER = 99_999_999  # a day ordinal no date reaches: "does not lapse"
MARK = "users"
SCOPES = (
    (UserState.Scope.ECOSYSTEM, "0"),
    (UserState.Scope.EMC, "emc_id"),
    (UserState.Scope.ME, "me_id"),
)
LAST = {  # state column: rollup flag
    "last_paid": "paid",
    "last_superior": "superior",
    "last_cocreation": "cocreation",
    "last_story": "story",
    "last_related": "related",
}
SIGNALS = ("last_superior", "last_cocreation", "last_story", "last_related")
# the bit of `UserState.held` each signal sets while it is held (what the row was counted with)
HELD = {"last_superior": 1, "last_cocreation": 2, "last_story": 4, "last_related": 8}
COUNT_COLUMNS = ("users", "superior", "cocreation", "story", "related")


def _greatest() -> str:
    return "GREATEST" if connection.vendor == "postgresql" else "MAX"


def _least() -> str:
    return "LEAST" if connection.vendor == "postgresql" else "MIN"


def _true() -> str:
    return "TRUE" if connection.vendor == "postgresql" else "1"


NIGHT = "scoring_night_users"  # the advance's temp table: the night's users, merged and classified
LAPSING = "scoring_lapsing_users"  # the other users whose class lapses by the day, re-classified
KEY = ("scope", "scope_id", "user_ref")


def _grouped_sql(wheres: list[str]) -> str:
    """The last day of each of the five things per user in every scope (scope, scope_id,
    user_ref, last_*), from the UserDay rows matching any of `wheres`: each condition its own
    indexed SELECT (UNION ALL), never an OR over the history."""
    days = UserDay._meta.db_table
    flags = ", ".join(["emc_id", "me_id", "user_ref", "day_no", *LAST.values()])
    source = " UNION ALL ".join(f"SELECT {flags} FROM {days} WHERE {where}" for where in wheres)
    picks = ", ".join(
        f"MAX(CASE WHEN {flag} = {_true()} THEN day_no END) AS {col}" for col, flag in LAST.items()
    )
    return " UNION ALL ".join(
        f"SELECT '{scope}' AS scope, {column} AS scope_id, user_ref, {picks} FROM ({source}) src "
        f"GROUP BY {'user_ref' if column == '0' else f'{column}, user_ref'}"
        for scope, column in SCOPES
    )


def _night_sql(wheres: list[str]) -> str:
    """The temp table of the users the UserDay rows matching any of `wheres` touch, in every
    scope: their state merged with the rows (max per column) and, beside it, the class, the held
    signals and the lapse day the state row had (`old_*`, NULL for a new user)."""
    state = UserState._meta.db_table
    grouped = _grouped_sql(wheres)
    # a new user keeps the rows' values (NULL where none); a known one the max (NULL where none,
    # as a rebuild leaves it)
    merge = ", ".join(
        f"CASE WHEN s.user_ref IS NULL THEN g.{col} "
        f"ELSE NULLIF({_greatest()}(COALESCE(s.{col}, -1), COALESCE(g.{col}, -1)), -1) END AS {col}"
        for col in LAST
    )
    return (
        f"CREATE TEMP TABLE {NIGHT} AS SELECT g.scope AS scope, g.scope_id AS scope_id, "
        f"g.user_ref AS user_ref, {merge}, 'lapsed' AS klass, 0 AS held, 0 AS lapses_on, "
        f"s.klass AS old_klass, s.held AS old_held, s.lapses_on AS old_lapses "
        f"FROM ({grouped}) g LEFT JOIN {state} s "
        "ON s.scope = g.scope AND s.scope_id = g.scope_id AND s.user_ref = g.user_ref"
    )


def _night_store_sql() -> str:
    """Write the merged, classified night into the state: one write per user row, in the order
    of the unique key."""
    cols = [*LAST, "klass", "held", "lapses_on"]
    names = ", ".join(cols)
    keep = ", ".join(f"{col} = excluded.{col}" for col in [*cols, "stamp"])
    return (
        f"INSERT INTO {UserState._meta.db_table} (scope, scope_id, user_ref, {names}, stamp) "
        f"SELECT scope, scope_id, user_ref, {names}, %(stamp)s FROM {NIGHT} WHERE {_true()} "
        "ORDER BY user_ref, scope, scope_id "  # the unique key's order: each page visited once
        f"ON CONFLICT (scope, scope_id, user_ref) DO UPDATE SET {keep}"
    )


def _lapsing_sql() -> str:
    """The temp table of the state rows whose class lapses after the state's day and by the
    day, laid out as `_night_sql` lays the night: the class and held signals they were counted
    with beside the ones to compute. Candidates: the users with a payment dated `active_days`
    before a day in (mark, day], or a signal dated `signal_days` before (the last day that held
    a class is such a row's day); the state's `lapses_on` keeps those whose class does lapse."""
    state, days = UserState._meta.db_table, UserDay._meta.db_table
    t = _true()
    signal = " OR ".join(f"{flag} = {t}" for col, flag in LAST.items() if col in SIGNALS)
    dated = (
        f"SELECT emc_id, me_id, user_ref FROM {days} WHERE paid = {t} "
        "AND day_no > %(mark_day)s - %(active_days)s AND day_no <= %(day)s - %(active_days)s "
        f"UNION ALL SELECT emc_id, me_id, user_ref FROM {days} WHERE ({signal}) "
        "AND day_no > %(mark_day)s - %(signal_days)s AND day_no <= %(day)s - %(signal_days)s"
    )
    keys = " UNION ".join(
        f"SELECT '{scope}' AS scope, {column} AS scope_id, user_ref FROM ({dated}) d"
        for scope, column in SCOPES
    )
    last = ", ".join(f"s.{col} AS {col}" for col in LAST)
    on = " AND ".join(f"s.{k} = q.{k}" for k in KEY)
    return (
        f"CREATE TEMP TABLE {LAPSING} AS SELECT s.scope AS scope, s.scope_id AS scope_id, "
        f"s.user_ref AS user_ref, {last}, s.klass AS klass, s.held AS held, s.lapses_on AS lapses_on, "
        f"s.klass AS old_klass, s.held AS old_held FROM ({keys}) q "
        f"JOIN {state} s ON {on} WHERE s.lapses_on <= %(day)s"
    )


def _lapsing_store_sql() -> str:
    """Write the re-classified lapsing rows back (the same rows: an update each)."""
    on = " AND ".join(f"{UserState._meta.db_table}.{k} = l.{k}" for k in KEY)
    return (
        f"UPDATE {UserState._meta.db_table} SET klass = l.klass, held = l.held, "
        f"lapses_on = l.lapses_on, stamp = %(stamp)s FROM {LAPSING} l WHERE {on}"
    )


def _rebuild_sql(where: str) -> str:
    """Insert the state of every scope from the UserDay rows matching `where` (max per column)
    into the empty state, each row classified as it is written (one write per row), in the
    order of the unique key (user first): a user's rows in all scopes share a page, so a night's
    lookups of the user's rows read one page, not one per scope."""
    cols = ", ".join(LAST)
    return (
        f"INSERT INTO {UserState._meta.db_table} (scope, scope_id, user_ref, {cols}, klass, held, lapses_on, stamp) "
        f"SELECT scope, scope_id, user_ref, {cols}, {', '.join(_classes().values())}, %(stamp)s "
        f"FROM ({_grouped_sql([where])}) g WHERE {_true()} ORDER BY user_ref, scope, scope_id"
    )


def _classes() -> dict[str, str]:
    """{column: SQL} of the class, the held signals and the lapse day, from the last days."""
    held = {col: f"COALESCE({col}, -1) >= %(signal_from)s" for col in SIGNALS}
    count = " + ".join(f"(CASE WHEN {cond} THEN 1 ELSE 0 END)" for cond in held.values())
    bits = " + ".join(f"(CASE WHEN {held[col]} THEN {bit} ELSE 0 END)" for col, bit in HELD.items())
    active = "COALESCE(last_paid, -1) >= %(active_from)s"
    lapses = ", ".join(
        [f"CASE WHEN {active} THEN last_paid + %(active_days)s ELSE {NEVER} END"]
        + [f"CASE WHEN {cond} THEN {col} + %(signal_days)s ELSE {NEVER} END" for col, cond in held.items()]
    )
    return {
        "klass": f"CASE WHEN NOT ({active}) THEN 'lapsed' WHEN ({count}) = 0 THEN 'transactional' "
        f"WHEN ({count}) >= %(lifelong)s THEN 'lifelong' ELSE 'interactive' END",
        "held": bits,
        "lapses_on": f"{_least()}({lapses})",
    }


def _classify_sql(table: str) -> str:
    """Re-classify every row of `table` (a temp table laid out as the state)."""
    sets = ", ".join(f"{col} = {sql}" for col, sql in _classes().items())
    return f"UPDATE {table} SET {sets}"


def _params(day_no: int, stamp: int) -> dict:
    return {
        "day": day_no,
        "stamp": stamp,
        "active_days": settings.SCORING_ACTIVE_DAYS,
        "signal_days": settings.SCORING_SIGNAL_DAYS,
        "active_from": day_no - settings.SCORING_ACTIVE_DAYS + 1,
        "signal_from": day_no - settings.SCORING_SIGNAL_DAYS + 1,
        "lifelong": settings.SCORING_LIFELONG_SIGNALS,
    }


def _counted_sql(rows: str) -> str:
    """What the state rows `rows` (scope, scope_id, klass, held) add to their scope's counts, by
    the class and the held signals they were classified with (one row per scope and class)."""
    bits = ", ".join(
        f"SUM(CASE WHEN (held & {bit}) <> 0 THEN 1 ELSE 0 END) AS {col[5:]}" for col, bit in HELD.items()
    )
    return (
        f"SELECT scope, scope_id, klass, COUNT(*) AS users, {bits} FROM ({rows}) r "
        "WHERE klass <> 'lapsed' GROUP BY scope, scope_id, klass"
    )


# the rows the run re-classifies, as they were counted (the lapsing ones and the night's known
# users: disjoint, as the lapsing rows are read after the night is stored) and as they are now
BEFORE = (
    f"SELECT scope, scope_id, old_klass AS klass, old_held AS held FROM {LAPSING} "
    f"UNION ALL SELECT scope, scope_id, old_klass, old_held FROM {NIGHT} WHERE old_klass IS NOT NULL"
)
AFTER = f"SELECT scope, scope_id, klass, held FROM {LAPSING} UNION ALL SELECT scope, scope_id, klass, held FROM {NIGHT}"


def _counts_advance(cursor, *, run_id: int, previous_run_id: int, before: bool, params: dict) -> None:
    """Keep the run's ClassCount rows equal to a full count of the state while touching only the
    rows the run touches: copy the previous run's counts and take those rows out as they were
    counted (`before`), then put them back in as they are now."""
    table = ClassCount._meta.db_table
    cols = ", ".join(COUNT_COLUMNS)
    key = "run_id, scope, scope_id, klass"
    if before:
        cursor.execute(f"DELETE FROM {table} WHERE run_id = %s", [run_id])
        cursor.execute(
            f"INSERT INTO {table} ({key}, {cols}) SELECT {int(run_id)}, scope, scope_id, klass, {cols} "
            f"FROM {table} WHERE run_id = %s",
            [previous_run_id],
        )
    # one INSERT over the grouped rows, added to the copied counts (the UPDATE ... FROM the
    # grouped rows it replaces was seen running over 40 s at 1,000,000 events; this, 0.3 s)
    sign, rows = ("-", BEFORE) if before else ("", AFTER)
    picks = ", ".join(f"{sign}{c}" for c in COUNT_COLUMNS)
    plus = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COUNT_COLUMNS)
    cursor.execute(
        f"INSERT INTO {table} ({key}, {cols}) SELECT {int(run_id)}, scope, scope_id, klass, {picks} "
        f"FROM ({_counted_sql(rows)}) d WHERE {_true()} "
        f"ON CONFLICT (run_id, scope, scope_id, klass) DO UPDATE SET {plus}",
        params,
    )
    if before:
        return
    cursor.execute(f"DELETE FROM {table} WHERE run_id = %s AND users = 0", [run_id])


@transaction.atomic
def users_state_update(*, day, ingest: Ingest, stamp: int) -> dict:
    """Bring the per-user state to (day, ingest) and count its users by class into the run's
    ClassCount rows (`stamp` is the run). Advance when the state stands at an earlier day and
    ingest, counted by a run whose counts are kept: only the users with rollup rows recorded
    since (or dated since the state's day) and those whose class lapses by the day (`lapses_on`,
    indexed) are read and re-classified, and the counts are the previous run's plus what those
    rows changed. Else rebuild the state and count it whole. Returns what was done and how many
    rows it touched."""
    day_no = day.toordinal()
    mark = StateMark.objects.select_for_update().filter(key=MARK).first()
    params = _params(day_no, stamp)
    with connection.cursor() as cursor:
        if (
            mark is not None
            and mark.day_no < day_no
            and mark.ingest_id <= ingest.pk
            and mark.run_id is not None
            and mark.run_id != stamp
        ):
            mode = "advance"
            params.update(mark_day=mark.day_no, mark_ingest=mark.ingest_id, ingest=ingest.pk)
            wheres = [
                # what the new ingests brought, dated up to the day
                "ingest_id > %(mark_ingest)s AND ingest_id <= %(ingest)s AND day_no <= %(day)s",
                # what earlier ingests held for the days since the mark (dated ahead when recorded)
                "ingest_id <= %(mark_ingest)s AND day_no > %(mark_day)s AND day_no <= %(day)s",
            ]
            # the night's users merged and classified apart (a temp table), so that each state
            # row the night touches is written once; then the rows whose class lapses by the day
            cursor.execute(f"DROP TABLE IF EXISTS {NIGHT}")
            cursor.execute(f"DROP TABLE IF EXISTS {LAPSING}")
            cursor.execute(_night_sql(wheres), params)
            cursor.execute(_classify_sql(NIGHT), params)
            cursor.execute(_night_store_sql(), params)
            touched = cursor.rowcount
            # after the store every row of the night lapses after the day: these are the others
            cursor.execute(_lapsing_sql(), params)
            cursor.execute(_classify_sql(LAPSING), params)
            cursor.execute(_lapsing_store_sql(), params)
            touched += cursor.rowcount
            _counts_advance(cursor, run_id=stamp, previous_run_id=mark.run_id, before=True, params=params)
            _counts_advance(cursor, run_id=stamp, previous_run_id=mark.run_id, before=False, params=params)
            cursor.execute(f"DROP TABLE {NIGHT}")
            cursor.execute(f"DROP TABLE {LAPSING}")
            counts = ClassCount.objects.filter(run_id=stamp).count()
        else:
            mode = "rebuild"
            table = UserState._meta.db_table
            # DELETE, not TRUNCATE: the application role holds no TRUNCATE privilege anywhere
            cursor.execute(f"DELETE FROM {table}")
            params.update(
                ingest=ingest.pk,
                oldest=day_no - max(settings.SCORING_ACTIVE_DAYS, settings.SCORING_SIGNAL_DAYS),
            )
            cursor.execute(
                _rebuild_sql("ingest_id <= %(ingest)s AND day_no > %(oldest)s AND day_no <= %(day)s"), params
            )
            touched = cursor.rowcount
            counts = class_counts_store(run_id=stamp, day=day)
    StateMark.objects.update_or_create(
        key=MARK, defaults={"day_no": day_no, "ingest": ingest, "run_id": stamp}
    )
    return {"mode": mode, "classified": touched, "class_counts": counts}


def class_counts_store(*, run_id: int, day) -> int:
    """Count the active users of every scope by class (and those holding each signal) in ONE
    pass over the state, into ClassCount rows of the run (replacing any it had)."""
    params = _params(day.toordinal(), 0)
    held = ", ".join(
        f"SUM(CASE WHEN COALESCE({col}, -1) >= %(signal_from)s THEN 1 ELSE 0 END)" for col in SIGNALS
    )
    table = ClassCount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE run_id = %s", [run_id])
        cursor.execute(
            f"INSERT INTO {table} (run_id, scope, scope_id, klass, users, superior, cocreation, story, related) "
            f"SELECT {int(run_id)}, scope, scope_id, klass, COUNT(*), {held} FROM {UserState._meta.db_table} "
            "WHERE klass <> 'lapsed' GROUP BY scope, scope_id, klass",
            params,
        )
        return cursor.rowcount


def class_counts(*, run_id: int, scope: str, scope_ids=None) -> dict[int, dict]:
    """{scope_id: {"active", "transactional", "interactive", "lifelong", "superior",
    "cocreation", "story", "related"}} as the run counted them (class_counts_store)."""
    rows = ClassCount.objects.filter(run_id=run_id, scope=scope)
    if scope_ids is not None:
        rows = rows.filter(scope_id__in=list(scope_ids))
    out: dict[int, dict] = {}
    names = [col[5:] for col in SIGNALS]
    for r in rows.values("scope_id", "klass", "users", *names):
        row = out.setdefault(
            r["scope_id"],
            {"active": 0, "transactional": 0, "interactive": 0, "lifelong": 0, **dict.fromkeys(names, 0)},
        )
        row["active"] += r["users"]
        row[r["klass"]] += r["users"]
        for name in names:
            row[name] += r[name]
    return out
