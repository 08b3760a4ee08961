"""Raw SQL that only PostgreSQL runs (triggers and their functions); other databases skip it.

The definitions live in `ledger/sql/` (one file per object and version, see its docstring);
a migration names the versions it installs and, backwards, the ones it restores.
(The migration loader ignores modules whose names start with "_".)
"""

from collections.abc import Callable

from django.db import migrations

from ledger.sql import sql_file

__all__ = ["postgres_sql", "sql_file"]


def postgres_sql(forward: str | Callable[[], str], backward: str | Callable[[], str]) -> migrations.RunPython:
    """A reversible operation running `forward` / `backward` (SQL, or a function returning it)
    on PostgreSQL only."""

    def run(sql):
        def operation(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                with schema_editor.connection.cursor() as cursor:
                    cursor.execute(sql() if callable(sql) else sql)

        return operation

    return migrations.RunPython(run(forward), run(backward))
