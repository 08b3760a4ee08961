"""The benchmark suite end to end at its tiniest (`bench.run --scale tiny`): RESULTS.md and its
JSON are written with every section, every target judged, from figures of that one run."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from bench.results import SECTIONS
from tests import db_roles

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgres


def _bench_url() -> str:
    # the suite drops and recreates this database and its own `_small` copy: as the role that
    # made the test database (the tests themselves connect as the application role, which may
    # not create databases)
    name = f"{settings.DATABASES['default']['NAME']}_benchsuite"
    return db_roles.database_url(user=db_roles.superuser(), dbname=name)


def _drop(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.mark.timeout(600)
def test_the_suite_writes_every_section(tmp_path, django_db_modify_db_settings):
    # (the fixture makes the test database's roles known, so the test also runs alone)
    results, data = tmp_path / "RESULTS.md", tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    url = _bench_url()
    try:
        run = subprocess.run(
            [sys.executable, "-m", "bench.run", "--scale", "tiny", "--seed", "7", "--no-load",
             "--database-url", url, "--results", str(results), "--json", str(data)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=580,
        )  # fmt: skip
    finally:
        _drop(url)
    assert run.returncode == 0, run.stderr[-3000:]
    text = results.read_text()
    for section in SECTIONS:
        assert f"## {section}" in text, section
    assert "Example run at the `tiny` scale" in text
    assert "Not run (`--no-load`)." in text
    saved = json.loads(data.read_text())
    targets = saved["targets"]
    # generator vs floor, its ledger check, single vs floor, batched, CSV, balance, flat balance, query counts
    assert len(targets) == 8
    assert all(isinstance(t["met"], bool) for t in targets)
    for t in targets:  # each judged in the table
        assert t["target"] in text
    posting = saved["results"]["posting"]
    # the floor wrote exactly the rows the service wrote, table by table
    assert posting["writes"]["service"] == posting["writes"]["floor"]
    csv = saved["results"]["csv"]
    for table in ("ledger_transaction", "ledger_valueevent", "ledger_valueeventpartner", "ledger_leg"):
        assert csv["writes"]["import"][table] == csv["writes"]["floor"][table] > 0
    assert min(csv["legs_explained"]) == 1.0
    assert [p["legs"] for p in saved["results"]["balance"]["curve"]] == [1_000, 4_000]
    generator = saved["results"]["generator"]
    # a slice of the point's history beside its floor, batch by batch, and the ledger checked after it
    assert generator["days"] <= generator["days_asked"] == 14
    assert generator["batches"] == len(generator["batch_ratios"]) > 1
    assert generator["events"] > 0 and generator["check_ok"]
    assert saved["meta"]["machine"]["cpus"] == os.cpu_count()
    assert saved["meta"]["load_average"]["during"]["samples"] >= 1
