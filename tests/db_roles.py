"""The PostgreSQL pass's two database roles, and the one way the suite empties guarded tables.

Roles are cluster-wide and other suites run on the same server at the same time, so their
names come from the test database's (`test_rh_h1` -> `test_rh_h1_owner`, `test_rh_h1_app`):
- the owner creates the test database and runs the migrations, so it owns every table and
  function (`migrate` then grants the application role its privileges: ledger.append_only);
- the application role is what the tests, the live server and the Celery worker they start
  connect as, from the moment the database is migrated (`django_db_setup` in conftest.py).
`prepare()` creates both roles when missing, with the superuser of DATABASE_URL.

Flushing: tests with transaction=True empty every table at teardown with TRUNCATE, which the
application role may not do and `<table>_no_truncate` refuses to every role. `flush_as_owner`
runs Django's flush statements instead: as the owner, in one transaction, it disables the
`_no_truncate` triggers, truncates, and enables them again. Only a table's owner may disable
its triggers, and no other session ever sees them off (ALTER TABLE holds its lock to commit).
"""

import os
from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.db import connections
from psycopg import sql

from ledger.append_only import app_role

_state: dict = {}


def on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def _conninfo(*, user: str, dbname: str) -> dict:
    db = settings.DATABASES["default"]
    info = {"host": db["HOST"] or None, "port": db["PORT"] or None, "user": user, "dbname": dbname}
    if _state["password"]:
        info["password"] = _state["password"]
    return {k: v for k, v in info.items() if v is not None}


def superuser_connect(dbname: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(**_conninfo(user=_state["superuser"], dbname=dbname), autocommit=True)


def owner_connect(dbname: str | None = None) -> psycopg.Connection:
    """A new connection as the owner role (to the test database by default)."""
    return psycopg.connect(**_conninfo(user=owner(), dbname=dbname or test_database()))


def connect(*, user: str, dbname: str, autocommit: bool = False) -> psycopg.Connection:
    """A new connection as `user` to `dbname` (same server and password as DATABASE_URL)."""
    return psycopg.connect(**_conninfo(user=user, dbname=dbname), autocommit=autocommit)


def tool_env() -> dict:
    """The environment for PostgreSQL's command-line tools (pg_dump, pg_restore)."""
    env = {**os.environ}
    if _state["password"]:
        env["PGPASSWORD"] = _state["password"]
    return env


def tool_args(user: str) -> list[str]:
    """Connection options of PostgreSQL's command-line tools, as `user`."""
    info = _conninfo(user=user, dbname="postgres")
    return [
        "-h",
        info.get("host", "127.0.0.1"),
        "-p",
        str(info.get("port", 5432)),
        "-U",
        user,
        "--no-password",
    ]


def app_connect(dbname: str | None = None) -> psycopg.Connection:
    """A new connection as the application role (to the test database by default)."""
    return psycopg.connect(**_conninfo(user=app(), dbname=dbname or test_database()))


def database_url(*, user: str, dbname: str) -> str:
    """A DATABASE_URL for a subprocess (manage.py) connecting as `user` to `dbname`."""
    info = _conninfo(user=user, dbname=dbname)
    password = f":{info['password']}" if "password" in info else ""
    port = f":{info['port']}" if "port" in info else ""
    return f"postgres://{user}{password}@{info.get('host', '127.0.0.1')}{port}/{dbname}"


def owner() -> str:
    return _state["owner"]


def superuser() -> str:
    """The role DATABASE_URL names (it creates the test roles and databases)."""
    return _state["superuser"]


def app() -> str:
    return _state["app"]


def test_database() -> str:
    return _state["database"]


def prepare() -> None:
    """Before the test database is created: make sure both roles exist, and create and migrate
    the database as the owner."""
    db = settings.DATABASES["default"]
    name = db.get("TEST", {}).get("NAME") or f"test_{db['NAME']}"
    _state.update(
        superuser=db["USER"],
        password=db.get("PASSWORD") or "",
        database=name,
        owner=f"{name}_owner",
        app=app_role({"NAME": name}),
    )
    with superuser_connect() as conn:
        for role, options in ((owner(), "LOGIN CREATEDB"), (app(), "LOGIN")):
            password = (
                sql.SQL(" PASSWORD {}").format(_state["password"]) if _state["password"] else sql.SQL("")
            )
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone()
            verb = "ALTER" if exists else "CREATE"
            conn.execute(
                sql.SQL("{} ROLE {} " + options + "{}").format(sql.SQL(verb), sql.Identifier(role), password)
            )
        # a test database left by a crashed run of another owner could not be dropped by ours
        found = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if found and found[0] != owner():
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
            conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
    _switch(owner())
    from django.db.backends.postgresql.operations import DatabaseOperations

    _state["execute_sql_flush"] = DatabaseOperations.execute_sql_flush
    DatabaseOperations.execute_sql_flush = flush_as_owner


def as_app() -> None:
    _switch(app())


def as_owner() -> None:
    """Back to the owner (to drop the test database at the end)."""
    _switch(owner())


def _switch(user: str) -> None:
    """Connect as `user` from now on: close every connection, and any connection pool, which
    would otherwise hand out connections opened as the role before."""
    connections.close_all()
    for conn in connections.all():
        if hasattr(conn, "close_pool"):
            conn.close_pool()
    settings.DATABASES["default"]["USER"] = user


def flush_as_owner(ops, sql_list) -> None:
    """Django's flush statements (TRUNCATE ...), run as the owner with the `_no_truncate`
    triggers off for the length of the one transaction (see the module docstring). Its own
    short connection: none stays open between tests."""
    with owner_connect() as conn, conn.transaction():
        guards = conn.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger"
            " WHERE tgfoid = to_regprocedure('ledger_refuse_truncate()') AND NOT tgisinternal"
        ).fetchall()
        for table, trigger in guards:
            conn.execute(f'ALTER TABLE {table} DISABLE TRIGGER "{trigger}"')
        for statement in sql_list:
            conn.execute(statement)
        for table, trigger in guards:
            conn.execute(f'ALTER TABLE {table} ENABLE TRIGGER "{trigger}"')


@contextmanager
def owner_cursor(dbname: str | None = None):
    """A cursor as the owner, committed on success (for tests that need the owner's powers)."""
    with owner_connect(dbname) as conn, conn.cursor() as cursor:
        yield cursor
