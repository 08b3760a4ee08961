"""The ledger's trigger SQL in force is the latest version of each file in ledger/sql/."""

import re

import pytest
from django.db import connection

from ledger.sql import RETIRED_DIR, objects_in_force, sql_file

FUNCTION = re.compile(r"CREATE OR REPLACE FUNCTION (\w+)\([^)]*\).*?AS \$\$(.*?)\$\$;", re.S)


def _functions(text: str) -> dict[str, str]:
    return dict(FUNCTION.findall(text))


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_runs_the_latest_version_of_every_function():
    with connection.cursor() as cursor:
        cursor.execute("SELECT proname, prosrc FROM pg_proc WHERE proname LIKE 'ledger%%'")
        installed = dict(cursor.fetchall())
    expected = {}
    for name, version in objects_in_force().items():
        expected.update(_functions(sql_file(name, version)))
    assert expected, "no function found in ledger/sql/"
    for function, body in expected.items():
        assert installed.get(function) == body, f"{function} differs from its latest file"
    # and nothing retired is still installed
    for path in RETIRED_DIR.glob("*.sql"):
        for function in _functions(path.read_text()):
            if function not in expected:
                assert function not in installed, f"{function} ({path.name}) is retired"


def test_versions_of_each_object_are_numbered_without_gaps():
    for name, latest in objects_in_force().items():
        for version in range(1, latest + 1):
            sql_file(name, version)  # raises when missing
