"""The web load test: the production setup on loopback, locust against it.

    .venv/bin/python -m bench.load --database-url URL --token KEY --users 50 --seconds 60 --out load.json

Starts, on 127.0.0.1 only: gunicorn (`config.wsgi`, `config.settings.production`, TLS with a
self-signed certificate made for the run, gunicorn.conf.py's pool per worker) and one Celery
worker, both on the database at URL (prepared by `bench.phases setup`) and Redis; runs locust
headless (bench/locustfile.py); samples the database's connections (`pg_stat_activity`) through
the run; stops what it started and writes throughput, latency percentiles, errors and
connections as JSON.
"""

import argparse
import csv
import json
import os
import secrets
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
USERNAME = "bench-leader"  # made by bench.phases setup
# the users' tasks and their weights (bench/locustfile.py reads them from here: this module
# must not import locust, whose gevent patches would take over this process's threads and pipes)
WEIGHTS = {"dashboard": 3, "log value (form, then post)": 2, "API value events": 3}


class ConnectionSampler(threading.Thread):
    def __init__(self, url: str, every: float = 0.5):
        super().__init__(daemon=True)
        self.url, self.every, self.samples = url, every, []
        self._stop_event = threading.Event()

    def run(self):
        import psycopg

        name = self.url.rsplit("/", 1)[1]
        with psycopg.connect(self.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            while not self._stop_event.wait(self.every):
                rows = conn.execute(
                    "SELECT coalesce(state, '?'), count(*) FROM pg_stat_activity WHERE datname = %s GROUP BY 1",
                    [name],
                ).fetchall()
                self.samples.append(dict(rows))

    def stop(self):
        self._stop_event.set()
        self.join()


def _wait_up(url: str, seconds: float = 60) -> None:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, context=ctx, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.5)


def _stats(folder: Path, seconds: float) -> tuple[dict, dict]:
    rows = list(csv.DictReader((folder / "locust_stats.csv").open()))

    def one(r):
        return {
            "requests": int(r["Request Count"]),
            "failures": int(r["Failure Count"]),
            "rps": float(r["Requests/s"]),
            "p50": float(r["50%"] or 0),
            "p95": float(r["95%"] or 0),
            "p99": float(r["99%"] or 0),
            "max": float(r["Max Response Time"] or 0),
        }

    requests = {r["Name"]: one(r) for r in rows if r["Name"] != "Aggregated"}
    total = one(next(r for r in rows if r["Name"] == "Aggregated"))
    return requests, total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/10")
    parser.add_argument("--token", required=True, help="the leader's API token")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--port", type=int, default=8116)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    from bench.phases import PASSWORD

    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "CELERY_BROKER_URL": args.redis_url,
    }
    worker_pool = 1
    celery_concurrency = 1
    web = worker = None
    sampler = ConnectionSampler(args.database_url)
    errors = []
    try:
        web = subprocess.Popen(
            [str(BIN / "gunicorn"), "config.wsgi", "-w", str(args.workers), "--threads", str(args.threads),
             "-b", f"127.0.0.1:{args.port}", "--keep-alive", "30", "--certfile", str(cert), "--keyfile", str(key),
             "--error-logfile", str(tmp / "gunicorn.log")],
            cwd=ROOT, env=env,
        )  # fmt: skip
        worker = subprocess.Popen(
            [str(BIN / "celery"), "-A", "config", "worker", "-c", str(celery_concurrency), "--loglevel", "warning",
             "--without-heartbeat", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env={**env, "DB_POOL_MAX_SIZE": str(worker_pool)},
            stdout=(tmp / "worker.log").open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        host = f"https://127.0.0.1:{args.port}"
        _wait_up(f"{host}/healthz")
        session = _login(host, USERNAME, PASSWORD)
        before_events = _count_events(args.database_url)
        sampler.start()
        start = time.perf_counter()
        run = subprocess.run(
            [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
             "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.seconds}s", "--host", host,
             "--csv", str(tmp / "locust"), "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"],
            cwd=ROOT, env={**os.environ, "BENCH_TOKEN": args.token, "PYTHONPATH": str(ROOT),
                           "BENCH_SESSION": json.dumps(session)}, capture_output=True, text=True,
        )  # fmt: skip
        wall = time.perf_counter() - start
        sampler.stop()
        posted = _count_events(args.database_url) - before_events
        requests, total = _stats(tmp, wall)
        failures = tmp / "locust_failures.csv"
        if failures.exists():
            errors = [
                f"{r['Method']} {r['Name']}: {r['Error']} x{r['Occurrences']}"
                for r in csv.DictReader(failures.open())
            ]
        if run.returncode not in (0, 1):  # locust exits 1 when a request failed: reported as errors
            errors.append(f"locust exited {run.returncode}: {run.stderr[-800:]}")
    finally:
        for proc in (web, worker):
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in (web, worker):
            if proc is not None:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
    totals = [sum(s.values()) for s in sampler.samples] or [0]
    peak = max(range(len(sampler.samples)), key=lambda i: totals[i]) if sampler.samples else None
    worker_bound = (celery_concurrency + 1) * worker_pool
    result = {
        "config": {
            "users": args.users,
            "seconds": args.seconds,
            "spawn_rate": args.spawn_rate,
            "workers": args.workers,
            "threads": args.threads,
            "port": args.port,
            "redis": args.redis_url,
            "celery_concurrency": celery_concurrency,
            "weights": WEIGHTS,
        },
        "wall_seconds": wall,
        "requests": requests,
        "total": total,
        "events_posted": posted,
        "errors": errors,
        "connections": {
            "samples": len(sampler.samples),
            "every_s": sampler.every,
            "median": sorted(totals)[len(totals) // 2],
            "max": max(totals),
            "at_max": sampler.samples[peak] if peak is not None else {},
            "bound": args.workers * args.threads + worker_bound,
            "worker_bound": worker_bound,
        },
    }
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(json.dumps({k: result[k] for k in ("total", "events_posted", "connections")}, indent=1))
    return 0


def _login(host: str, username: str, password: str) -> dict:
    """Log the leader in once (the login form, its CSRF token, the password check): the users
    share the session, so the measured window holds the pages, not 50 password hashes."""
    import requests
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    client = requests.Session()
    client.verify = False
    client.get(f"{host}/login/", timeout=60, verify=False)  # the run's self-signed certificate
    r = client.post(
        f"{host}/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": client.cookies["csrftoken"]},
        headers={"Referer": f"{host}/login/"},
        allow_redirects=False,
        timeout=60,
        verify=False,
    )
    if r.status_code != 302 or "sessionid" not in client.cookies:
        raise RuntimeError(f"the bench leader could not log in: {r.status_code}")
    return {"sessionid": client.cookies["sessionid"], "csrftoken": client.cookies["csrftoken"]}


def _count_events(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM ledger_valueevent WHERE source = 'ui'").fetchone()[0]


if __name__ == "__main__":
    sys.exit(main())
