"""The ledger's trigger and constraint SQL (PostgreSQL), one file per database object and version.

`<object>.v<N>.sql` is the whole definition of one object, its functions and the triggers
that call them, as a migration installed it; the highest version of an object in this folder
is the definition in force. `retired/` keeps the objects that a later migration dropped, which
migrating backwards installs again. Each file says which migration loads it and why.

To change an object: copy its latest file to the next version, edit the copy, and write a
migration that loads the new version forwards and the previous one backwards, e.g.

    postgres_sql(sql_file("leg_checked", 4), sql_file("leg_checked", 3))

A version a migration has loaded is never edited again (that migration's meaning would change
under databases it already ran on). tests/ledger/test_sql_files.py checks that the database
runs the latest version of every function here.
"""

from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent
RETIRED_DIR = SQL_DIR / "retired"


def sql_file(name: str, version: int) -> str:
    """The text of `<name>.v<version>.sql` (in force or retired)."""
    for folder in (SQL_DIR, RETIRED_DIR):
        path = folder / f"{name}.v{version}.sql"
        if path.exists():
            return path.read_text()
    raise FileNotFoundError(f"no SQL file {name}.v{version}.sql in {SQL_DIR}")


def objects_in_force() -> dict[str, int]:
    """{object name: latest version} of every object in force (retired ones left out)."""
    latest: dict[str, int] = {}
    for path in SQL_DIR.glob("*.v*.sql"):
        name, _dot, version = path.name.removesuffix(".sql").rpartition(".v")
        latest[name] = max(latest.get(name, 0), int(version))
    return latest
