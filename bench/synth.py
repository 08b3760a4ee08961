"""The synthetic ecosystem generator against the database floor, and the stored history points.

    .venv/bin/python -m bench.synth --scale medium --events 100000          # generator vs floor
    .venv/bin/python -m bench.synth --scale haier --events 300000 --workers 2 --save-as haier_300k
    .venv/bin/python -m bench.synth --list                                  # stored points
    .venv/bin/python -m bench.synth --clone haier_300k                      # point -> BENCH db

A run: (1) recreates BENCH_DATABASE_URL's database and writes the organization into it
(`ecosystem_generate --phase organization`, its own process); (2) copies that database as a
template (`<db>_floor`): the state the history starts from; (3) writes the history
(`--phase history`, timed by the generator itself: drawing, posting, signals, phase-outs);
(4) the floor: the very ledger rows the history wrote (accounts, transactions, events, partner
links, legs, user signals) dumped from (3) batch by batch (not timed) and written into (2) with
COPY (the daily rollups upserted by the legs' trigger) and one commit per batch, as many batches as the
history posted, through the same triggers, indexes and commit-time checks (timed); (5) checks
the ledger (rollups recomputed from the legs, zero per currency). `--save-as NAME` then keeps
the history as the template database `rh_synth_NAME` (its comment holds how it was made) and
the organization (2) as `rh_synth_NAME_organization`; `--clone NAME` copies a point into
BENCH_DATABASE_URL in seconds to minutes.

`--interleaved` runs the generator in this process, batch by batch, each batch beside the floor
writing its rows a moment later (the figure to trust on a shared machine: per-batch ratios,
median and quartiles); `--days N` stops after the history's first N days and `--organization
NAME` starts from the template rh_synth_NAME_organization (a slice of a point's history, as
`bench.run`'s generator phase measures it).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from bench.harness import DEFAULT_URL, Figure, report

ROOT = Path(__file__).resolve().parent.parent
POINT_PREFIX = "rh_synth_"


def _admin_url(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


def _name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def _with_name(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def _admin(url: str):
    import psycopg

    return psycopg.connect(_admin_url(url), autocommit=True)


def _drop(conn, name: str) -> None:
    conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        [name],
    )
    conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _copy_database(url: str, source: str, target: str) -> float:
    """CREATE DATABASE target TEMPLATE source; returns seconds."""
    with _admin(url) as conn:
        _drop(conn, target)
        start = time.perf_counter()
        conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
        return time.perf_counter() - start


def _size(url: str, name: str) -> int:
    with _admin(url) as conn:
        return conn.execute("SELECT pg_database_size(%s)", [name]).fetchone()[0]


def _manage(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    env.pop("REDIS_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


# --- the floor ----------------------------------------------------------------------------

TABLES = [  # table, columns (the generator's rows keep their ids), how a batch selects its rows
    ("ledger_transaction", "t.recorded_at = {at}", "t"),
    ("ledger_valueevent", "t.recorded_at = {at} AND t.id = x.transaction_id", "x"),
    (
        "ledger_valueeventpartner",
        "t.recorded_at = {at} AND e.transaction_id = t.id AND x.event_id = e.id",
        "x",
    ),
    ("ledger_leg", "t.recorded_at = {at} AND x.transaction_id = t.id", "x"),
    ("ledger_usersignal", "x.logged_at = {at}", "x"),
]
FROMS = {
    "ledger_transaction": "ledger_transaction t",
    "ledger_valueevent": "ledger_transaction t, ledger_valueevent x",
    "ledger_valueeventpartner": "ledger_transaction t, ledger_valueevent e, ledger_valueeventpartner x",
    "ledger_leg": "ledger_transaction t, ledger_leg x",
    "ledger_usersignal": "ledger_usersignal x",
}


def _columns(conn, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows if r[0] != "created_txid"]  # the trigger's column keeps its default


def _dump(conn, query: str) -> bytes:
    with conn.cursor().copy(f"COPY ({query}) TO STDOUT") as copy:
        return b"".join(bytes(block) for block in copy)


ANALYZE = (
    "ANALYZE ledger_account, ledger_accountday, ledger_leg, ledger_transaction, ledger_valueevent,"
    " ledger_usersignal, ledger_valueeventpartner"
)


def floor_dump(history_url: str, folder: Path) -> tuple[list, dict]:
    """Dump the history's ledger rows batch by batch (one batch: the rows recorded at one
    moment, as the generator posted them) into files: (batches, columns)."""
    import psycopg
    from psycopg import sql

    source = psycopg.connect(history_url, autocommit=True)
    cols = {table: _columns(source, table) for table, _w, _a in TABLES}
    cols["ledger_account"] = _columns(source, "ledger_account")
    moments = [r[0] for r in source.execute("SELECT DISTINCT recorded_at FROM ledger_transaction ORDER BY 1")]
    signal_moments = {r[0] for r in source.execute("SELECT DISTINCT logged_at FROM ledger_usersignal")}
    if signal_moments - set(moments):
        raise RuntimeError("signal batches without a posting: the floor would miss them")
    (folder / "accounts").write_bytes(
        _dump(source, f"SELECT {', '.join(cols['ledger_account'])} FROM ledger_account ORDER BY id")
    )
    batches = []
    for k, moment in enumerate(moments):
        at = sql.Literal(moment).as_string(source)
        files = []
        for table, where, alias in TABLES:
            select = ", ".join(f"{alias}.{c}" for c in cols[table])
            query = f"SELECT {select} FROM {FROMS[table]} WHERE {where.format(at=at)} ORDER BY {alias}.id"
            path = folder / f"{k:05d}-{table}"
            path.write_bytes(_dump(source, query))
            files.append((table, path))
        batches.append((moment, files))
    source.close()
    return batches, cols


def floor_write(floor_url: str, batches: list, cols: dict, folder: Path, *, streams: int = 1) -> dict:
    """Write the dumped rows into the organization-only copy: per batch, COPY of every table
    (the legs' daily rollups upserted by the database's trigger, as for the generator's legs)
    and a commit; `streams` connections take the batches in
    turn (a connection's next batch waits for its previous one, as a posting worker's does).
    ANALYZE runs at the sizes the generator runs it. Returns wall seconds and rows."""
    import threading

    import psycopg

    rows = [0] * streams
    analyze = {"at": 5_000, "written": 0}
    lock = threading.Lock()
    errors = []

    def write(stream: int, conn) -> None:
        try:
            for k in range(stream, len(batches), streams):
                _moment, files = batches[k]
                with conn.cursor() as cur:
                    for table, path in files:
                        payload = path.read_bytes()
                        with cur.copy(f"COPY {table} ({', '.join(cols[table])}) FROM STDIN") as copy:
                            copy.write(payload)
                        rows[stream] += payload.count(b"\n")
                        if table == "ledger_transaction":
                            events = payload.count(b"\n")
                conn.commit()
                with lock:
                    analyze["written"] += events
                    due = analyze["written"] >= analyze["at"]
                    while analyze["at"] <= analyze["written"]:
                        analyze["at"] *= 2
                if due:
                    conn.execute(ANALYZE)
                    conn.commit()
        except Exception as exc:  # reported after the threads end
            errors.append(exc)

    conns = [psycopg.connect(floor_url) for _ in range(streams)]
    start = time.perf_counter()
    account_copy = f"COPY ledger_account ({', '.join(cols['ledger_account'])}) FROM STDIN"
    with conns[0].cursor() as cur, cur.copy(account_copy) as copy:  # the history's accounts, before any leg
        copy.write((folder / "accounts").read_bytes())
    conns[0].commit()
    threads = [threading.Thread(target=write, args=(i, conns[i])) for i in range(streams)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    for conn in conns:
        conn.close()
    if errors:
        raise errors[0]
    return {"seconds": seconds, "batches": len(batches), "rows": sum(rows), "streams": streams}


def _history_check(url: str) -> dict:
    """Run the ledger's own checks on the history (a child process: its own Django)."""
    code = (
        "import json; from ledger.selectors import ledger_check_rollups, ledger_totals_by_currency;"
        "from synth.models import GeneratedHistory as G; r = G.objects.first();"
        "print(json.dumps({'rollup_diffs': len(ledger_check_rollups()),"
        " 'totals': ledger_totals_by_currency(), 'stats': r.stats, 'first_day': str(r.first_day),"
        " 'last_day': str(r.last_day)}))"
    )
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _save(url, name, args, check, events, organization_s, history, size) -> None:
    """Keep the bench database as the history point rh_synth_<save_as> (a template database)."""
    point = POINT_PREFIX + args.save_as
    seconds = _copy_database(url, name, point)
    comment = json.dumps(
        {
            "scale": args.scale,
            "events": events,
            "seed": args.seed,
            "first_day": check["first_day"],
            "last_day": check["last_day"],
            "organization_seconds": round(organization_s, 1),
            "history_seconds": history["seconds"],
            "workers": args.workers,
            "bytes": size,
        }
    )
    with _admin(url) as conn:
        conn.execute(f"COMMENT ON DATABASE \"{point}\" IS '{comment}'")
    print(f"saved as {point} ({seconds:.1f} s to copy)")


def _organization(url: str, args) -> float:
    """Write the organization of `args`' scale and seed into `url` (`ecosystem_generate --phase
    organization`, its own process); returns seconds."""
    gen = [
        "ecosystem_generate",
        "--scale",
        args.scale,
        "--events",
        str(args.events),
        "--seed",
        str(args.seed),
    ]
    if args.last_day:
        gen += ["--last-day", args.last_day]
    start = time.perf_counter()
    _manage(url, *gen, "--phase", "organization", "--no-progress")
    return time.perf_counter() - start


def run(args) -> int:
    url = args.database_url
    name = _name(url)
    floor_name = f"{name}_floor"
    print(f"bench database: {url} (dropped and recreated), floor: {floor_name}")
    with _admin(url) as conn:
        _drop(conn, name)
        _drop(conn, floor_name)
        conn.execute(f'CREATE DATABASE "{name}"')
    _manage(url, "migrate", "-v", "0")
    organization_s = _organization(url, args)
    _copy_database(url, name, floor_name)
    if args.save_as:  # the state the history starts from, for a slice of it later (bench.run)
        _save_organization(url, name, args.save_as, args, organization_s)
    start = time.perf_counter()
    _manage(url, "ecosystem_generate", "--phase", "history", "--workers", str(args.workers))
    history_wall = time.perf_counter() - start
    check = _history_check(url)
    history = check["stats"]["history"]
    print(
        f"  history written: {history}; ledger check: {check['rollup_diffs']} rollup differences, totals {check['totals']}"
    )
    import tempfile

    if args.no_floor:  # only build (and keep) the history point
        size = _size(url, name)
        with _admin(url) as conn:
            _drop(conn, floor_name)
        events = history["payments"] + history["refunds"]
        print(
            f"built {events:,} events: organization {organization_s:.0f} s, history {history['seconds']:.0f} s, {size / 2**30:.2f} GiB"
        )
        if args.save_as:
            _save(url, name, args, check, events, organization_s, history, size)
        return 0
    streams = sorted({1, max(1, args.workers)})
    floors = {}
    with tempfile.TemporaryDirectory(prefix="synth-floor-") as tmp:
        batches, cols = floor_dump(url, Path(tmp))
        for n in streams:
            target = f"{floor_name}{n}"
            _copy_database(url, floor_name, target)
            print(f"  floor: the same rows written again by the database alone (COPY, {n} connection(s))")
            floors[n] = floor_write(_with_name(url, target), batches, cols, Path(tmp), streams=n)
            with _admin(url) as conn:
                _drop(conn, target)
    size = _size(url, name)
    with _admin(url) as conn:
        _drop(conn, floor_name)
    floor = floors[max(streams)]
    events = history["payments"] + history["refunds"]
    run_rate, floor_rate = events / history["seconds"], events / floor["seconds"]
    figures = [
        Figure(
            f"history of {events:,} value events ({args.scale}, {args.workers} posting workers)",
            run_rate,
            "events/s",
            floor=floor_rate,
            floor_name=f"the database alone writing the same rows, {floor['streams']} connection(s)",
            baseline=events / floors[1]["seconds"],
            baseline_name="floor on 1 connection",
            target=">= 0.8x floor",
            met=run_rate >= 0.8 * floor_rate,
            notes={
                "history_seconds": history["seconds"],
                "history_process_wall_seconds": round(history_wall, 1),
                "floor_seconds": round(floor["seconds"], 2),
                "floor_streams": floor["streams"],
                "floor_single_connection_events_per_s": round(events / floors[1]["seconds"], 1),
                "floor_batches": floor["batches"],
                "floor_rows": floor["rows"],
                "organization_seconds": round(organization_s, 1),
                "database_bytes": size,
                "signals": history["signals"],
                "ledger_rollup_differences": check["rollup_diffs"],
                "ledger_totals": check["totals"],
            },
        )
    ]
    meta = {
        "bench": "synth",
        "scale": args.scale,
        "events": args.events,
        "workers": args.workers,
        "seed": args.seed,
    }
    print()
    print(report(figures, meta=meta, filename=f"synth-{args.scale}-{args.events}.json"))
    print(
        f"\nratio {run_rate / floor_rate:.2f}x the floor on {floor['streams']} connection(s),"
        f" {run_rate * floors[1]['seconds'] / events:.2f}x the floor on 1; organization {organization_s:.0f} s; history {history['seconds']:.0f} s"
        f" (process {history_wall:.0f} s); database {size / 2**30:.2f} GiB"
    )
    if args.save_as:
        _save(url, name, args, check, events, organization_s, history, size)
    ok = check["rollup_diffs"] == 0 and not any(check["totals"].values())
    return 0 if ok else 1


def organization_point(name: str) -> str:
    """The template database of a history point's organization (the state its history starts from)."""
    return f"{POINT_PREFIX}{name}_organization"


def _save_organization(url: str, name: str, point_name: str, args, organization_s: float) -> None:
    """Keep the organization-only database `name` as the template rh_synth_<point_name>_organization,
    so a slice of the history can start again from it (bench.run's generator phase)."""
    point = organization_point(point_name)
    seconds = _copy_database(url, name, point)
    comment = json.dumps(
        {
            "organization_of": point_name,
            "scale": args.scale,
            "events": args.events,
            "seed": args.seed,
            "organization_seconds": round(organization_s, 1),
            "bytes": _size(url, point),
        }
    )
    with _admin(url) as conn:
        conn.execute(f"COMMENT ON DATABASE \"{point}\" IS '{comment}'")
    print(f"organization saved as {point} ({seconds:.1f} s to copy)")


def interleaved(args) -> int:
    """One posting process, batch by batch against the floor: the generator draws and posts
    batch k into the history database (timed), its rows are dumped (not timed) and written
    into the organization-only copy by COPY (its legs' rollups by the trigger) + commit (timed), then batch k+1.
    Both sides of a pair run a moment apart, so a machine whose speed drifts (other processes
    on the 2 cores) moves both; the per-batch ratios give the spread.

    `--days N` stops after the batches recorded on the history's first N days (a slice of the
    year the plan draws for `--events`); `--organization NAME` starts from the template
    rh_synth_NAME_organization when it exists (else the organization is written, and kept as
    that template); `--out FILE` writes the figures as JSON (bench.run's generator phase)."""
    import statistics

    from bench.harness import peak_rss_mb

    url = args.database_url
    name = _name(url)
    floor_name = f"{name}_floor"
    print(f"bench database: {url} (dropped and recreated), floor: {floor_name}, interleaved batch by batch")
    template = organization_point(args.organization) if args.organization else None
    with _admin(url) as conn:
        _drop(conn, name)
        _drop(conn, floor_name)
        found = (
            template and conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone()
        )
    organization = {"template": template, "reused": bool(found)}
    if found:
        with _admin(url) as conn:
            comment = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [template]
            ).fetchone()[0]
        organization["seconds"] = json.loads(comment or "{}").get("organization_seconds")  # when it was built
        organization["copy_seconds"] = round(_copy_database(url, template, name), 1)
        _manage(url, "migrate", "-v", "0")  # a template made by older code lacks the newer columns
    else:
        with _admin(url) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        _manage(url, "migrate", "-v", "0")
        organization["seconds"] = round(_organization(url, args), 1)
        if template:
            _save_organization(url, name, args.organization, args, organization["seconds"])
    organization["bytes"] = _size(url, name)
    _copy_database(url, name, floor_name)

    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    import django

    django.setup()
    import psycopg
    from django.utils import timezone

    from synth import inputs, services, writer
    from synth.history import HistoryGenerator
    from synth.models import GeneratedHistory
    from synth.organization import admin_user, ids_load
    from synth.plan import DAY

    record = GeneratedHistory.objects.get()
    plan = services._plan(scale=record.scale, seed=record.seed, last_day=record.plan_last_day)
    ids = ids_load(plan)
    generator = HistoryGenerator(plan, ids, tz=timezone.get_current_timezone())
    batches = inputs.with_daily_inputs(
        generator.history_batches(record.events, seed=record.seed), plan=plan, ids=ids
    )
    stop_day = plan.first_day + args.days * DAY if args.days else None
    admin = admin_user()
    stats = writer._Statistics()
    floor_conn = psycopg.connect(_with_name(url, floor_name))
    source = psycopg.connect(url, autocommit=True)
    cols = {table: _columns(source, table) for table, _w, _a in TABLES}
    cols["ledger_account"] = _columns(source, "ledger_account")
    known, pairs, accounts_seen, per_batch = {}, [], set(), []
    run_s = floor_s = 0.0
    events = floor_events = signals = steps = 0
    days = set()
    floor_analyze = {"at": 5_000}
    rss_start = peak_rss_mb()
    stats.refresh(stats.next_at)
    floor_conn.execute(ANALYZE)
    floor_conn.commit()
    it = iter(batches)
    while True:
        start = time.perf_counter()
        batch = next(it, None)
        if batch is None or (stop_day is not None and batch.day >= stop_day):
            break
        if batch.exits:
            writer.lifecycle_apply(batch.exits, partner_ids=ids.partners, day=batch.day, admin=admin)
            steps += len(batch.exits)
        writer._resolve_refunds(batch, known)
        known.update(writer.batch_post(batch))
        events += batch.events
        signals += len(batch.signals)
        days.add(batch.day)
        stats.refresh(events)
        run_took = time.perf_counter() - start
        if not batch.events:
            continue
        # the rows this batch wrote (and the accounts it created), dumped: not timed
        from psycopg import sql

        at = sql.Literal(batch.now).as_string(source)
        new_accounts = _dump(
            source,
            f"SELECT {', '.join(cols['ledger_account'])} FROM ledger_account"
            f" WHERE id NOT IN (SELECT unnest(ARRAY[{','.join(map(str, accounts_seen)) or '0'}]::bigint[]))"
            " ORDER BY id",
        )
        accounts_seen.update(int(line.split(b"\t", 1)[0]) for line in new_accounts.splitlines())
        files = [("ledger_account", new_accounts)]
        for table, where, alias in TABLES:
            select = ", ".join(f"{alias}.{c}" for c in cols[table])
            query = f"SELECT {select} FROM {FROMS[table]} WHERE {where.format(at=at)} ORDER BY {alias}.id"
            files.append((table, _dump(source, query)))
        start = time.perf_counter()
        with floor_conn.cursor() as cur:
            for table, payload in files:
                with cur.copy(f"COPY {table} ({', '.join(cols[table])}) FROM STDIN") as copy:
                    copy.write(payload)
        floor_conn.commit()
        floor_events += batch.events
        if floor_events >= floor_analyze["at"]:
            while floor_analyze["at"] <= floor_events:
                floor_analyze["at"] *= 2
            floor_conn.execute(ANALYZE)
            floor_conn.commit()
        floor_took = time.perf_counter() - start
        run_s += run_took
        floor_s += floor_took
        pairs.append(floor_took / run_took)
        per_batch.append([str(batch.day), batch.events, run_took, floor_took])
        if len(pairs) % 30 == 0:
            print(
                f"  {batch.day}: {events:,} events, run {events / run_s:,.0f}/s, floor {floor_events / floor_s:,.0f}/s"
            )
    peak_rss = peak_rss_mb()
    record.status = GeneratedHistory.Status.HISTORY
    record.save(update_fields=["status"])
    floor_conn.close()
    source.close()
    from django.db import connections

    connections.close_all()
    check = _history_check(url)
    history_bytes = _size(url, name)
    with _admin(url) as conn:
        _drop(conn, floor_name)
    quartiles = statistics.quantiles(pairs, n=4) if len(pairs) > 1 else [pairs[0]] * 3
    run_rate, floor_rate = events / run_s, floor_events / floor_s
    ok = check["rollup_diffs"] == 0 and not any(check["totals"].values())
    print(
        f"\n{events:,} events in {len(pairs)} batches ({args.scale}): run {run_rate:,.0f} events/s ({run_s:.0f} s),"
        f" floor {floor_rate:,.0f} events/s ({floor_s:.0f} s): {run_rate / floor_rate:.2f}x the floor;"
        f" per batch: median {statistics.median(pairs):.2f}x, quartiles {quartiles[0]:.2f}-{quartiles[2]:.2f}x."
        f" Ledger check: {check['rollup_diffs']} rollup differences, totals {check['totals']}"
    )
    figures = [
        Figure(
            f"history of {events:,} value events ({args.scale}), one posting process, interleaved",
            run_rate,
            "events/s",
            baseline=floor_rate,
            baseline_name="floor, batch by batch",
            floor=floor_rate,
            floor_name="the database alone writing the same rows",
            target=">= 0.8x floor",
            met=run_rate >= 0.8 * floor_rate,
            notes={
                "batch_ratio_median": round(statistics.median(pairs), 3),
                "batch_ratio_quartiles": [round(q, 3) for q in quartiles],
                "run_seconds": round(run_s, 1),
                "floor_seconds": round(floor_s, 1),
                "ledger_rollup_differences": check["rollup_diffs"],
                "ledger_totals": check["totals"],
            },
        )
    ]
    suffix = f"-{args.days}d" if args.days else ""
    report(
        figures,
        meta={"bench": "synth-interleaved", "scale": args.scale, "events": args.events, "days": args.days},
        filename=f"synth-interleaved-{args.scale}-{args.events}{suffix}.json",
    )
    if args.out:
        Path(args.out).write_text(
            json.dumps(
                {
                    "scale": args.scale,
                    "plan_events": record.events,
                    "seed": record.seed,
                    "days_asked": args.days,
                    "first_day": str(min(days)) if days else None,
                    "last_day": str(max(days)) if days else None,
                    "days": len(days),
                    "events": events,
                    "signals": signals,
                    "lifecycle_steps": steps,
                    "batches": len(pairs),
                    "run_seconds": run_s,
                    "floor_seconds": floor_s,
                    "run_rate": run_rate,
                    "floor_rate": floor_rate,
                    "batch_ratios": pairs,
                    "per_batch": per_batch,  # [recording day, events, generator s, floor s]
                    "organization": organization,
                    "history_bytes": history_bytes,
                    "rss_start_mb": rss_start,
                    "peak_rss_mb": peak_rss,
                    "check": check,
                    "check_ok": ok,
                },
                default=str,
            )
        )
    return 0 if ok else 1


def points(url: str) -> int:
    with _admin(url) as conn:
        rows = conn.execute(
            "SELECT datname, pg_database_size(datname), shobj_description(oid, 'pg_database')"
            " FROM pg_database WHERE datname LIKE %s ORDER BY 1",
            [POINT_PREFIX + "%"],
        ).fetchall()
    for point, size, comment in rows:
        print(f"{point:<28} {size / 2**30:7.2f} GiB  {comment or ''}")
    return 0


def clone(url: str, point: str) -> int:
    seconds = _copy_database(url, POINT_PREFIX + point, _name(url))
    print(f"{POINT_PREFIX + point} copied to {_name(url)} in {seconds:.1f} s")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "haier"])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--last-day")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--save-as", help="keep the history as the template database rh_synth_NAME")
    parser.add_argument("--no-floor", action="store_true", help="build (and keep) the history, no floor")
    parser.add_argument("--interleaved", action="store_true", help="one process, each batch beside its floor")
    parser.add_argument("--days", type=int, help="interleaved: only the history's first DAYS days")
    parser.add_argument(
        "--organization",
        metavar="NAME",
        help="interleaved: start from rh_synth_NAME_organization (written and kept if missing)",
    )
    parser.add_argument("--out", help="interleaved: the figures as JSON into this file")
    parser.add_argument("--list", action="store_true", help="list the stored history points")
    parser.add_argument("--clone", metavar="NAME", help="copy rh_synth_NAME into the bench database")
    args = parser.parse_args(argv)
    if args.list:
        return points(args.database_url)
    if args.clone:
        return clone(args.database_url, args.clone)
    if args.interleaved:
        return interleaved(args)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
