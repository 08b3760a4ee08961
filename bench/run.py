"""The benchmark suite, one command: every figure of issue 11's targets from one run.

    .venv/bin/python -m bench.run --scale small                  # a quick check (a few minutes)
    .venv/bin/python -m bench.run --scale haier                  # the real run (300,000-event history)
    .venv/bin/python -m bench.run --scale haier --events 1000000 --workers 2
    .venv/bin/python -m bench.run --scale small --load-users 10 --load-seconds 15
    .venv/bin/python -m bench.run --scale small --no-load        # without the web load test

A run (1) finds or builds the generated history point of that scale (`bench.synth`, kept as
the template database rh_synth_<scale>_<events>_s<seed>, its organization as
rh_synth_<scale>_<events>_s<seed>_organization, and reused by later runs), and the
`small` point the query counts are compared with; (2) copies the point into
BENCH_DATABASE_URL (dropped and recreated); (3) runs each benchmark phase in a process of its own
(`bench.phases`: posting, csv, csv_memory, balance, pages; on the small point: pages); (4) runs
the web load test (`bench.load`: gunicorn + PostgreSQL + Redis + a Celery worker, locust);
(5) the generator phase: the point's history again for its first days (`--generator-days`) on a
fresh copy of the point's organization, each batch timed beside the floor writing its rows a
moment later (`bench.synth --interleaved`, its own process and database `<bench>_generator`),
then the ledger check; (6) writes bench/RESULTS.md and bench/RESULTS.json. The load average is
sampled before, every two seconds during, and after the run.
"""

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.harness import DEFAULT_URL, RESULTS_DIR

ROOT = Path(__file__).resolve().parent.parent
EVENTS = {"tiny": 500, "small": 2_000, "medium": 100_000, "haier": 300_000}
GENERATOR_SCALE = {"tiny": "small", "small": "small", "medium": "medium", "haier": "haier"}
# the generator phase: the history's first days (haier: ~820 events a day, one batch each)
GENERATOR_DAYS = {"tiny": 14, "small": 42, "medium": 42, "haier": 42}
# pages first: on both points the ecosystem is then as generated (plus the bench's EMC), so the
# query counts compare sizes, not what the other phases posted
PHASES = ["pages", "posting", "csv", "csv_memory", "balance"]


class LoadSampler(threading.Thread):
    """The 1-minute load average every `every` seconds while the run goes on."""

    def __init__(self, every: float = 2.0):
        super().__init__(daemon=True)
        self.every, self.samples, self._stop_event = every, [], threading.Event()
        self.before = os.getloadavg()

    def run(self):
        while not self._stop_event.wait(self.every):
            self.samples.append(os.getloadavg()[0])

    def stop(self) -> dict:
        self._stop_event.set()
        self.join()
        after = os.getloadavg()
        during = sorted(self.samples) or [after[0]]
        return {
            "before": self.before,
            "during": {
                "min": during[0],
                "median": during[len(during) // 2],
                "max": during[-1],
                "samples": len(self.samples),
                "every_s": self.every,
            },
            "after": after,
        }


def machine(url: str) -> dict:
    import psycopg

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    with psycopg.connect(_with_name(url, "postgres"), autocommit=True) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
        settings = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN"
                " ('shared_buffers', 'fsync', 'synchronous_commit', 'max_connections', 'autovacuum')"
            ).fetchall()
        )

    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "ram_gib": round(mem_kb / 2**20, 1),
        "postgresql": pg,
        "postgresql_settings": settings,
        "python": sys.version.split()[0],
        "commit": git("rev-parse", "HEAD"),
        "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "kernel": platform.release(),
    }


def _with_name(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def _python(*args: str, env=None, timeout=None) -> None:
    subprocess.run([sys.executable, *args], cwd=ROOT, check=True, env=env, timeout=timeout)


def ensure_point(url: str, scale: str, events: int, seed: int, workers: int) -> dict:
    """The stored history point for (scale, events, seed): built now when it does not exist."""
    from bench import synth

    name = f"{scale}_{events}_s{seed}"
    point = synth.POINT_PREFIX + name
    built_s = None
    with synth._admin(url) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [point]).fetchone()
    if not exists:
        print(f"building the history point {point} ({scale}, {events:,} events, seed {seed})", flush=True)
        start = time.perf_counter()
        _python(
            "-m", "bench.synth", "--database-url", url, "--scale", scale, "--events", str(events),
            "--seed", str(seed), "--workers", str(workers), "--no-floor", "--save-as", name,
        )  # fmt: skip
        built_s = time.perf_counter() - start
    with synth._admin(url) as conn:
        comment, size = conn.execute(
            "SELECT shobj_description(oid, 'pg_database'), pg_database_size(datname) FROM pg_database"
            " WHERE datname = %s",
            [point],
        ).fetchone()
    info = json.loads(comment or "{}")
    return {
        "name": name,
        "database": point,
        "built_now_s": built_s,
        "bytes": size,
        **info,
        "events_planned": events,
    }


def clone(url: str, point: dict) -> float:
    """Copy the point into the bench database and bring the copy to this checkout's migrations
    (a point built by older code lacks the newer columns); returns the copy's seconds."""
    from bench import synth

    seconds = synth._copy_database(url, point["database"], synth._name(url))
    synth._manage(url, "migrate", "-v", "0")
    return seconds


def phase(name: str, url: str, sizes: str, work: Path) -> dict:
    out = work / f"{name}-{synth_name(url)}.json"
    print(f"  … phase {name} on {synth_name(url)}", flush=True)
    start = time.perf_counter()
    _python("-m", "bench.phases", name, "--database-url", url, "--scale", sizes, "--out", str(out))
    print(f"    done in {time.perf_counter() - start:.1f}s", flush=True)
    return json.loads(out.read_text())


def generator(url: str, point: dict, days: int, work: Path) -> dict:
    """The generator against its floor on a slice of the point's history: its first `days`
    days written again, batch by batch beside the floor, on a fresh copy of its organization
    (`bench.synth --interleaved`, a process of its own), in the database `<bench>_generator`."""
    from bench import synth

    gen_url = url + "_generator"
    out = work / "generator.json"
    out.unlink(missing_ok=True)
    args = [
        "-m", "bench.synth", "--interleaved", "--database-url", gen_url, "--scale", point["scale"],
        "--events", str(point["events_planned"]), "--seed", str(point["seed"]), "--days", str(days),
        "--organization", point["name"], "--out", str(out),
    ]  # fmt: skip
    if point.get("last_day"):  # the plan's (a point has no nights): used only if the organization is written
        args += ["--last-day", point["last_day"]]
    print(f"  … generator: the first {days} days of {point['database']}, beside the floor", flush=True)
    start = time.perf_counter()
    code = subprocess.run([sys.executable, *args], cwd=ROOT).returncode  # 1: the ledger check failed
    seconds = time.perf_counter() - start
    print(f"    done in {seconds:.1f}s (exit {code})", flush=True)
    if not out.exists():
        raise RuntimeError(f"the generator phase wrote no figures (exit {code})")
    result = json.loads(out.read_text())
    result["phase"] = {
        "name": "generator",
        "seconds": seconds,
        "rss_start_mb": result["rss_start_mb"],
        "peak_rss_mb": result["peak_rss_mb"],
    }
    with synth._admin(url) as conn:
        synth._drop(conn, synth._name(gen_url))
    return result


def synth_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--scale", default="small", choices=["tiny", "small", "medium", "haier"],
                        help="tiny: the suite's own test (the small ecosystem, smallest sizes)")  # fmt: skip
    parser.add_argument("--events", type=int, help="value events of the history (default: the scale's)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=0, help="posting processes building a new history")
    parser.add_argument("--load-users", type=int, default=50)
    parser.add_argument("--load-seconds", type=int, default=60)
    parser.add_argument("--load-port", type=int, default=8116)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10"))
    parser.add_argument("--no-load", action="store_true", help="skip the web load test")
    parser.add_argument("--generator-days", type=int,
                        help="days of the history the generator phase writes again (default: the scale's)")  # fmt: skip
    parser.add_argument("--results", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument("--json", default=str(ROOT / "bench" / "RESULTS.json"))
    args = parser.parse_args(argv)
    from bench.results import render

    url = args.database_url
    small_url = url + "_small"
    events = args.events or EVENTS[args.scale]
    sampler = LoadSampler()
    sampler.start()
    started = dt.datetime.now(dt.UTC)
    info = {"machine": machine(url), "started": started.isoformat(timespec="seconds"), "scale": args.scale}
    point = ensure_point(url, GENERATOR_SCALE[args.scale], events, args.seed, args.workers)
    if GENERATOR_SCALE[args.scale] == "small":  # the comparison is the point itself
        small_point = point
    else:
        small_point = ensure_point(url, "small", EVENTS["small"], args.seed, 0)
    info["point"], info["small_point"] = point, small_point
    work = RESULTS_DIR / "phases"
    work.mkdir(parents=True, exist_ok=True)
    info["clone_s"] = clone(url, point)
    setup = phase("setup", url, args.scale, work)
    results = {"setup": setup["phase"]}
    # the web load first: its leader's EMC is the bench's, into which the posting and CSV
    # phases then write ~650,000 events in one day (65x the year of the busiest generated EMC)
    if not args.no_load:
        out = work / "load.json"
        print(f"  … web load: {args.load_users} users for {args.load_seconds} s", flush=True)
        _python(
            "-m", "bench.load", "--database-url", url, "--redis-url", args.redis_url,
            "--users", str(args.load_users), "--seconds", str(args.load_seconds),
            "--port", str(args.load_port), "--token", setup["token"], "--out", str(out),
        )  # fmt: skip
        results["load"] = json.loads(out.read_text())
    for name in PHASES:
        results[name] = phase(name, url, args.scale, work)
    results["generator"] = generator(url, point, args.generator_days or GENERATOR_DAYS[args.scale], work)
    clone(small_url, small_point)
    phase("setup", small_url, args.scale, work)
    results["pages_small"] = phase("pages", small_url, args.scale, work)
    from bench import synth

    with synth._admin(url) as conn:
        synth._drop(conn, synth._name(small_url))
    info["load_average"] = sampler.stop()
    info["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    info["seconds"] = round((dt.datetime.now(dt.UTC) - started).total_seconds(), 1)
    data = {"meta": info, "results": results}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    markdown, targets = render(data)
    data["targets"] = targets
    Path(args.json).write_text(json.dumps(data, indent=1, default=str))
    Path(args.results).write_text(markdown)
    print(markdown)
    print(f"\nwritten: {args.results} and {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
