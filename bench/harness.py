"""Timing, memory and reporting helpers shared by the benchmarks.

Every figure is printed beside a baseline measured in the same run, so a slower or faster
machine moves both and the ratio stays meaningful.
"""

import gc
import json
import os
import resource
import statistics
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/rh_bench"


def recreate_database(url: str) -> None:
    """Drop and create the database `url` names (its sessions ended first)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str, *, migrate: bool = True) -> None:
    """Django on `url` with the local settings and no broker (tasks run in the process)."""
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


# the names the older modules import
_recreate_database = recreate_database
_setup_django = setup_django


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    floor: float | None = None
    floor_name: str = ""
    target: str = ""
    met: bool | None = None
    notes: dict = field(default_factory=dict)

    def ratio(self) -> str:
        if not self.baseline:
            return ""
        return f"{self.value / self.baseline:.1f}x {self.baseline_name}"


class Timer:
    def __init__(self):
        self.seconds = 0.0

    def __enter__(self):
        gc.collect()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._start


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def percentile_ms(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))
    return ordered[index] * 1000


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def progress(label: str):
    print(f"  … {label}", flush=True)
    start = time.perf_counter()
    yield
    print(f"    done in {time.perf_counter() - start:.1f}s", flush=True)


def report(figures: list[Figure], *, meta: dict, filename: str = "latest.json") -> str:
    rows = [("figure", "value", "baseline (same run)", "ratio", "floor", "target", "met")]
    for f in figures:
        rows.append(
            (
                f.name,
                f"{f.value:,.1f} {f.unit}",
                f"{f.baseline:,.1f} {f.unit} ({f.baseline_name})" if f.baseline is not None else "",
                f.ratio(),
                f"{f.floor:,.1f} {f.unit} ({f.floor_name})" if f.floor is not None else "",
                f.target,
                "" if f.met is None else ("yes" if f.met else "NO"),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / filename).write_text(
        json.dumps({"meta": meta, "figures": [asdict(f) for f in figures]}, indent=2, default=str)
    )
    return "\n".join(lines)
