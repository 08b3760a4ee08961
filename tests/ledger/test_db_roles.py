"""PostgreSQL: the application role owns nothing and holds exactly the privileges of
ledger.append_only; tables created later get theirs without anyone remembering to."""

import pytest
from django.db import connection

from ledger.append_only import PRIVATE_TABLES, TABLES, WORKFLOW_GRANTS
from tests import db_roles

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def _privileges(cursor, role: str, table: str) -> set[str]:
    cursor.execute(
        "SELECT p FROM unnest(%s::text[]) p WHERE has_table_privilege(%s, %s, p)",
        [list(PRIVILEGES), role, table],
    )
    return {p for (p,) in cursor.fetchall()}


def test_the_application_role_owns_nothing_and_may_do_only_what_each_table_allows():
    app = db_roles.app()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user"
        )
        assert cursor.fetchone() == (app, False, False, False)
        cursor.execute(
            "SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid)"
            " + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)"
            " + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid) FROM pg_roles r WHERE rolname = %s",
            [app],
        )
        assert cursor.fetchone()[0] == 0
        for table, policy in TABLES.items():
            assert _privileges(cursor, app, table) == set(policy.grants), table
        for table in PRIVATE_TABLES:
            assert _privileges(cursor, app, table) == set(), table
        # workflow state stays writable
        for table in (
            "ledger_importbatch",
            "ledger_idempotencyrecord",
            "orgs_partnerproposal",
            "django_session",
        ):
            assert _privileges(cursor, app, table) == {"SELECT", "INSERT", "UPDATE", "DELETE"}, table


def test_a_table_the_owner_creates_later_gets_the_workflow_grants_by_default():
    with db_roles.owner_cursor() as cursor:
        cursor.execute("CREATE TABLE later_payout_line (id bigint PRIMARY KEY, amount_minor bigint)")
    try:
        with connection.cursor() as cursor:
            assert _privileges(cursor, db_roles.app(), "later_payout_line") == set(
                WORKFLOW_GRANTS.split(", ")
            )
            cursor.execute("INSERT INTO later_payout_line VALUES (1, 100)")
            cursor.execute("UPDATE later_payout_line SET amount_minor = 5")
            cursor.execute("DELETE FROM later_payout_line")
    finally:
        with db_roles.owner_cursor() as cursor:
            cursor.execute("DROP TABLE later_payout_line")


def test_every_listed_table_has_its_guards():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
            " WHERE p.proname IN ('ledger_refuse_truncate', 'ledger_refuse_change') AND NOT tgisinternal"
        )
        guards = set(cursor.fetchall())
    for table, policy in TABLES.items():
        assert (table, f"{table}_no_truncate") in guards
        assert ((table, f"{table}_append_only") in guards) == policy.refuse_change, table
