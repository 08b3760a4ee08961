"""Per-user state and the loyalty classes (set-based SQL, the same on PostgreSQL and SQLite).

For each end user in each scope (the ecosystem, each EMC, each ME) the state keeps the last day
the user paid and the last day of each of the four life-long signals (scoring.definitions), the
class as of the state's date, and `lapses_on`: the first day the class would change if nothing
new came. Advancing the state from date W to D reads only the rollup rows the new ingests added
(and the rare rows dated after W recorded earlier), then re-classifies the touched users and
those whose `lapses_on` has come (an index lookup): the cost follows the night's rows and the
users whose signals age out, not the history. Any other move (a re-run of an earlier date, a
cut-off before the state's) rebuilds the state as of (D, cut-off) from the rollups.
"""

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


def _greatest() -> str:
    return "GREATEST" if connection.vendor == "postgresql" else "MAX"


def _least() -> str:
    return "LEAST" if connection.vendor == "postgresql" else "MIN"


def _true() -> str:
    return "TRUE" if connection.vendor == "postgresql" else "1"


def _upsert_sql(wheres: list[str], *, fresh: bool = False) -> list[str]:
    """Fold the UserDay rows matching any of `wheres` into the state of every scope (max per
    column). Each condition is its own indexed SELECT (UNION ALL), never an OR over the history.
    `fresh`: the state is empty, so a plain INSERT (no conflict to resolve)."""
    state, days = UserState._meta.db_table, UserDay._meta.db_table
    cols = ", ".join(LAST)
    flags = ", ".join(["emc_id", "me_id", "user_ref", "day_no", *LAST.values()])
    source = " UNION ALL ".join(f"SELECT {flags} FROM {days} WHERE {where}" for where in wheres)
    picks = ", ".join(f"MAX(CASE WHEN {flag} = {_true()} THEN day_no END)" for flag in LAST.values())
    keep = ", ".join(
        f"{col} = {_greatest()}(COALESCE({state}.{col}, -1), COALESCE(excluded.{col}, -1))" for col in LAST
    )
    statements = []
    for scope, column in SCOPES:
        group = "user_ref" if column == "0" else f"{column}, user_ref"
        sql = (
            f"INSERT INTO {state} (scope, scope_id, user_ref, {cols}, klass, stamp) "
            f"SELECT '{scope}', {column}, user_ref, {picks}, 'lapsed', %(stamp)s FROM ({source}) src "
            f"WHERE {_true()} GROUP BY {group}"
        )
        if not fresh:
            sql += f" ON CONFLICT (scope, scope_id, user_ref) DO UPDATE SET {keep}, stamp = excluded.stamp"
        statements.append(sql)
    return statements


def _classify_sql(where: str) -> str:
    state = UserState._meta.db_table
    held = {col: f"COALESCE({col}, -1) >= %(signal_from)s" for col in SIGNALS}
    count = " + ".join(f"(CASE WHEN {cond} THEN 1 ELSE 0 END)" for cond in held.values())
    active = "COALESCE(last_paid, -1) >= %(active_from)s"
    lapses = ", ".join(
        [f"CASE WHEN {active} THEN last_paid + %(active_days)s ELSE {NEVER} END"]
        + [f"CASE WHEN {cond} THEN {col} + %(signal_days)s ELSE {NEVER} END" for col, cond in held.items()]
    )
    return (
        f"UPDATE {state} SET klass = CASE WHEN NOT ({active}) THEN 'lapsed' "
        f"WHEN ({count}) = 0 THEN 'transactional' WHEN ({count}) >= %(lifelong)s THEN 'lifelong' "
        f"ELSE 'interactive' END, lapses_on = {_least()}({lapses}) WHERE {where}"
    )


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


@transaction.atomic
def users_state_update(*, day, ingest: Ingest, stamp: int) -> dict:
    """Bring the per-user state to (day, ingest): advance when it stands at an earlier day and
    ingest, else rebuild. Returns what was done and how many rows it touched."""
    day_no = day.toordinal()
    mark = StateMark.objects.select_for_update().filter(key=MARK).first()
    params = _params(day_no, stamp)
    with connection.cursor() as cursor:
        if mark is not None and mark.day_no < day_no and mark.ingest_id <= ingest.pk:
            mode = "advance"
            params.update(mark_day=mark.day_no, mark_ingest=mark.ingest_id, ingest=ingest.pk)
            wheres = [
                # what the new ingests brought, dated up to the day
                "ingest_id > %(mark_ingest)s AND ingest_id <= %(ingest)s AND day_no <= %(day)s",
                # what earlier ingests held for the days since the mark (dated ahead when recorded)
                "ingest_id <= %(mark_ingest)s AND day_no > %(mark_day)s AND day_no <= %(day)s",
            ]
            for sql in _upsert_sql(wheres):
                cursor.execute(sql, params)
            touched_where = "stamp = %(stamp)s OR lapses_on <= %(day)s"
        else:
            mode = "rebuild"
            table = UserState._meta.db_table
            # DELETE, not TRUNCATE: the application role holds no TRUNCATE privilege anywhere
            cursor.execute(f"DELETE FROM {table}")
            params.update(
                ingest=ingest.pk,
                oldest=day_no - max(settings.SCORING_ACTIVE_DAYS, settings.SCORING_SIGNAL_DAYS),
            )
            for sql in _upsert_sql(
                ["ingest_id <= %(ingest)s AND day_no > %(oldest)s AND day_no <= %(day)s"], fresh=True
            ):
                cursor.execute(sql, params)
            touched_where = _true() + " = " + _true()
        cursor.execute(_classify_sql(touched_where), params)
        touched = cursor.rowcount
    StateMark.objects.update_or_create(key=MARK, defaults={"day_no": day_no, "ingest": ingest})
    return {"mode": mode, "classified": touched}


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
