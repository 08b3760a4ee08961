"""The append-only tables, named once, and what the database lets the application role do.

On PostgreSQL the application connects as a role that owns nothing (`DATABASE_URL`); the
migrations run as the owner role, which owns every table and function. After every
`migrate`, `protect()` runs as that owner (a post_migrate handler, ledger/apps.py) and

1. binds the guards of every table in TABLES, which fire for every role, the owner's too:
   BEFORE TRUNCATE refused (`<table>_no_truncate`, ledger/sql/refuse_truncate.v1.sql) and, on
   APPEND_ONLY tables, BEFORE UPDATE OR DELETE refused (`<table>_append_only`,
   ledger/sql/refuse_change.v1.sql). The other policies' guards are the ledger's own SQL
   (ledger/sql/leg_rollup, contract_immutable, keys_fixed, refuse_delete);
2. grants the application role (`DATABASE_APP_ROLE`, by default `<database name>_app`) what
   each table's policy allows; nothing on PRIVATE_TABLES; SELECT, INSERT, UPDATE and DELETE on
   every other table (workflow state: import batches, idempotency records, proposals, runs,
   sessions, auth...); never TRUNCATE, REFERENCES or TRIGGER, and no ownership, so it cannot
   disable a trigger either. Tables the owner creates later get the same by default
   privileges: a new table works without anyone remembering its grants.

Adding an append-only table (payout lines once locked, purpose indicators...) is one line in
TABLES, and one in the README's list.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections


@dataclass(frozen=True)
class Policy:
    """What the application role may do with a table; whether UPDATE and DELETE are refused
    to every role by `<table>_append_only`."""

    grants: tuple[str, ...]
    refuse_change: bool = False


APPEND_ONLY = Policy(("SELECT", "INSERT"), refuse_change=True)
# written by the database from leg inserts; any other change refused (ledger/sql/leg_rollup.v1.sql)
ROLLUP = Policy(("SELECT",))
# accounts: created on first use, never deleted, id and currency fixed (refuse_delete, keys_fixed)
KEYED = Policy(("SELECT", "INSERT"))
# contracts: a draft changes; an approved one only becomes withdrawn (contract_immutable.v1.sql)
CONTRACT = Policy(("SELECT", "INSERT", "UPDATE"))
# a contract's terms: written with its draft, fixed once it leaves draft (contract_immutable.v1.sql)
CONTRACT_TERMS = Policy(("SELECT", "INSERT"))

TABLES: dict[str, Policy] = {
    "ledger_transaction": APPEND_ONLY,
    "ledger_leg": APPEND_ONLY,
    "ledger_valueevent": APPEND_ONLY,
    "ledger_valueeventpartner": APPEND_ONLY,
    "ledger_usersignal": APPEND_ONLY,
    "ledger_purposeindicator": APPEND_ONLY,
    "ledger_accountday": ROLLUP,
    "ledger_account": KEYED,
    "ledger_contract": CONTRACT,
    "ledger_contracttier": CONTRACT_TERMS,
    "ledger_contractpartnershare": CONTRACT_TERMS,
    "ledger_contractnodeshare": CONTRACT_TERMS,
    "ledger_contractgoal": CONTRACT_TERMS,
    "ledger_ledgerseal": APPEND_ONLY,
    "ledger_sealedtransaction": APPEND_ONLY,
    "orgs_auditentry": APPEND_ONLY,
}

# the owner's alone (ledger/sql/transaction_balanced.v4.sql): no privilege at all
PRIVATE_TABLES = ("ledger_balance_pending",)

WORKFLOW_GRANTS = "SELECT, INSERT, UPDATE, DELETE"


def app_role(settings_dict: dict) -> str:
    """The application role of a database: DATABASE_APP_ROLE, or `<database name>_app`."""
    return getattr(settings, "DATABASE_APP_ROLE", "") or f"{settings_dict['NAME']}_app"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def protect(*, using: str = DEFAULT_DB_ALIAS, verbosity: int = 1) -> None:
    """Bind the guards of TABLES and grant the application role its privileges (PostgreSQL,
    as the owner role; idempotent). Does nothing for a role that owns none of the tables, such
    as the application role itself (a test run's flush emits post_migrate as that role)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
            " AND pg_has_role(current_user, c.relowner, 'USAGE')"
        )
        owned = {name for (name,) in cursor.fetchall()}
        if not owned:
            return
        cursor.execute(
            "SELECT current_schema(), to_regprocedure('ledger_refuse_truncate()') IS NOT NULL,"
            " to_regprocedure('ledger_refuse_change()') IS NOT NULL"
        )
        schema, can_refuse_truncate, can_refuse_change = cursor.fetchone()
        statements = []
        for table, policy in TABLES.items():
            if table not in owned:
                continue
            if can_refuse_truncate:
                statements.append(
                    f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
                    " FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate()"
                )
            if policy.refuse_change and can_refuse_change:
                statements.append(
                    f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
                    " FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
                )
        role = app_role(connection.settings_dict)
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        has_role = cursor.fetchone() is not None
        if has_role:
            app, space = _quote(role), _quote(schema)
            statements += [
                f"GRANT USAGE ON SCHEMA {space} TO {app}",
                f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {space} FROM {app}",
                f"GRANT {WORKFLOW_GRANTS} ON ALL TABLES IN SCHEMA {space} TO {app}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {space} TO {app}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {space} GRANT {WORKFLOW_GRANTS} ON TABLES TO {app}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {space} GRANT USAGE, SELECT ON SEQUENCES TO {app}",
            ]
            for table, policy in TABLES.items():
                if table in owned:
                    statements += [
                        f"REVOKE ALL ON {table} FROM {app}",
                        f"GRANT {', '.join(policy.grants)} ON {table} TO {app}",
                    ]
            statements += [f"REVOKE ALL ON {table} FROM {app}" for table in PRIVATE_TABLES if table in owned]
        if statements:
            cursor.execute(";\n".join(statements))
    if verbosity >= 1 and not has_role:
        print(f"  No database role {role}: no grants made (the application runs as the migrating role).")
