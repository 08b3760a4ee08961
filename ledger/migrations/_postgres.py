"""Raw SQL that only PostgreSQL runs (triggers and their functions); other databases skip it.

(The migration loader ignores modules whose names start with "_".)
"""

from collections.abc import Callable

from django.db import migrations


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
