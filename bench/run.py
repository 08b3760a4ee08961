"""Ledger benchmarks: each figure beside a baseline measured in the same run.

    .venv/bin/python -m bench.run                  # PostgreSQL at BENCH_DATABASE_URL, full sizes
    .venv/bin/python -m bench.run --quick          # smaller sizes, a minute or so
    .venv/bin/python -m bench.run --only balance   # one benchmark (service api csv balance verify)

The run drops and recreates its own database (default
postgres://postgres@127.0.0.1:5432/rh_bench), migrates it and builds a small ecosystem: one EMC
with a lead ME, three node MEs, two partners and an approved contract. Results are printed as a
table and written to bench/results/latest.json.
"""

import argparse
import csv
import datetime as dt
import io
import os
import random
import sys
import time
from decimal import Decimal
from urllib.parse import urlparse

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/rh_bench"
SIZES = {
    # name: (full, quick)
    "service_events": (3000, 600),
    "naive_events": (1000, 300),
    "api_events": (1500, 300),
    "api_batch_events": (6000, 2000),
    "csv_rows": (100_000, 20_000),
    "balance_legs": (1_000_000, 100_000),
    "balance_samples": (300, 100),
    "verify_history": (100_000, 20_000),
    "verify_day": (5_000, 1_000),
    "verify_rounds": (5, 5),
}


def _recreate_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class World:
    """The ecosystem every benchmark posts into."""

    def __init__(self):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from ledger import services as ledger_services
        from orgs import models as org

        User = get_user_model()
        self.admin = User.objects.create_user("bench-admin", password="x", is_staff=True)
        self.admin.groups.add(Group.objects.get(name="platform_admin"))
        self.leader = User.objects.create_user("bench-leader", password="x")
        self.leader.groups.add(Group.objects.get(name="me_leader"))
        kind = org.MEKind.objects.get(code="node")
        start = dt.date(2023, 1, 1)
        self.lead = org.Microenterprise.objects.create(
            code="bench-lead", name="Lead", kind=kind, status="active", founded_on=start, leader=self.leader
        )
        self.nodes = [
            org.Microenterprise.objects.create(
                code=f"bench-node-{i}", name=f"Node {i}", kind=kind, status="active", founded_on=start
            )
            for i in range(3)
        ]
        self.scenario = org.Scenario.objects.create(code="bench-balcony", name="Smart balcony")
        self.category = org.Category.objects.create(code="bench-dryer", name="Dryers", is_core=True)
        self.solution = org.Solution.objects.create(
            scenario=self.scenario, code="bench-sol", name="Dry & fold"
        )
        self.solution.categories.add(self.category)
        self.emc = org.EMC.objects.create(
            code="bench-emc", name="Bench EMC", kind="experience", lead_me=self.lead, formed_on=start
        )
        self.emc.scenarios.add(self.scenario)
        weights = [Decimal(40), Decimal(20), Decimal(20), Decimal(20)]
        for me, weight in zip([self.lead, *self.nodes], weights, strict=True):
            org.EMCNode.objects.create(emc=self.emc, me=me, share_weight=weight, joined_on=start)
        tier = org.PartnerTier.objects.get(code="gold")
        self.partners = [
            org.Partner.objects.create(
                code=f"bench-p{i}",
                name=f"Partner {i}",
                state="active",
                state_since=start,
                tier=tier,
                applied_on=start,
            )
            for i in range(2)
        ]
        for p in self.partners:
            org.EMCParticipation.objects.create(emc=self.emc, partner=p, started_on=start)
        contract = ledger_services.contract_draft_create(
            actor=self.admin,
            emc=self.emc,
            effective_from=start,
            currency="CNY",
            period="month",
            platform_fee_pct=Decimal(5),
            target_minor=10_000_000,
            base_rate_pct=Decimal(10),
            holdback_pct=Decimal(10),
            holdback_days=30,
            tiers=[{"threshold_pct": Decimal(120), "rate_pct": Decimal(20)}],
            partner_shares=[{"partner": p, "share_pct": Decimal(8)} for p in self.partners],
            node_shares=[
                {"me": me, "share_pct": w} for me, w in zip([self.lead, *self.nodes], weights, strict=True)
            ],
        )
        self.contract = ledger_services.contract_approve(actor=self.admin, contract=contract)

    def event_kwargs(self, i: int, now: dt.datetime) -> dict:
        return {
            "me": self.lead,
            "emc": self.emc,
            "scenario": self.scenario,
            "solution": self.solution,
            "category": self.category,
            "user_ref": f"u-{i % 5000:05d}",
            "amount": Decimal(random.randint(1000, 99_999)) / 100,
            "currency": "CNY",
            "occurred_at": now - dt.timedelta(minutes=i % 1440),
            "customized": i % 3 == 0,
            "partners": self.partners[: i % 3],
        }


# --- benchmarks ---------------------------------------------------------------------------


def bench_service(world: World, n: int, n_naive: int, figures: list) -> float:
    """value_event_log, one call (one DB transaction) per event, vs a naive ORM loop and raw SQL."""
    from django.utils import timezone

    from bench.harness import Figure, Timer, progress, rate
    from bench.naive import naive_post, raw_sql_post
    from ledger import services

    now = timezone.now()
    with progress(f"service: {n} value_event_log calls"), Timer() as t:
        for i in range(n):
            services.value_event_log(actor=world.leader, source="api", **world.event_kwargs(i, now))
    service_rate = rate(n, t.seconds)
    with progress(f"baseline: {n_naive} naive one-row-at-a-time ORM postings"), Timer() as tn:
        for i in range(n_naive):
            naive_post(world, world.event_kwargs(i, now))
    with progress(f"floor: {n_naive} raw SQL postings (same rows, no validation)"), Timer() as tr:
        raw_sql_post(world, [world.event_kwargs(i, now) for i in range(n_naive)])
    figures.append(
        Figure(
            "post value events through the service",
            service_rate,
            "events/s",
            baseline=rate(n_naive, tn.seconds),
            baseline_name="naive ORM loop",
            floor=rate(n_naive, tr.seconds),
            floor_name="raw SQL, no checks",
            target=">= 1,000 events/s",
            met=service_rate >= 1000,
        )
    )
    return service_rate


def _post_loop(args) -> int:
    """Child process: post `n` events through the service on its own connection."""
    world, start, n = args
    from django.db import connections
    from django.utils import timezone

    from ledger import services

    connections.close_all()  # never share the parent's socket
    now = timezone.now()
    for i in range(start, start + n):
        services.value_event_log(actor=world.leader, source="api", **world.event_kwargs(i, now))
    connections.close_all()
    return n


def bench_service_concurrent(world: World, n: int, workers: int, single_rate: float, figures: list) -> None:
    """The same service calls from several processes at once: commits share WAL flushes."""
    import multiprocessing

    from django.db import connections

    from bench.harness import Figure, Timer, progress, rate

    per = n // workers
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    with (
        progress(f"service: {per * workers} value_event_log calls from {workers} processes"),
        Timer() as t,
        ctx.Pool(workers) as pool,
    ):
        done = sum(pool.map(_post_loop, [(world, 100_000 + k * per, per) for k in range(workers)]))
    concurrent_rate = rate(done, t.seconds)
    figures.append(
        Figure(
            f"post value events through the service, {workers} clients",
            concurrent_rate,
            "events/s",
            baseline=single_rate,
            baseline_name="1 client",
            target=">= 1,000 events/s",
            met=concurrent_rate >= 1000,
        )
    )


def bench_service_batches(world: World, n: int, batch: int, single_rate: float, figures: list) -> None:
    """services.value_events_log with `batch` events per call (one DB transaction per batch)."""
    from django.utils import timezone

    from bench.harness import Figure, Timer, progress, rate
    from ledger import services
    from ledger.money import to_minor
    from ledger.posting.specs import ValueEventSpec

    now = timezone.now()
    specs = []
    for i in range(n):
        kw = world.event_kwargs(200_000 + i, now)
        specs.append(
            ValueEventSpec(
                me_id=kw["me"].pk,
                emc_id=kw["emc"].pk,
                scenario_id=kw["scenario"].pk,
                solution_id=kw["solution"].pk,
                category_id=kw["category"].pk,
                user_ref=kw["user_ref"],
                amount_minor=to_minor(kw["amount"], "CNY"),
                currency="CNY",
                occurred_at=kw["occurred_at"],
                customized=kw["customized"],
                partner_ids=tuple(p.pk for p in kw["partners"]),
            )
        )
    with progress(f"service: {n} events in batches of {batch} (value_events_log)"), Timer() as t:
        for start in range(0, n, batch):
            services.value_events_log(specs=specs[start : start + batch], actor=world.leader, source="api")
    batch_rate = rate(n, t.seconds)
    figures.append(
        Figure(
            f"post value events through the service, batches of {batch}",
            batch_rate,
            "events/s",
            baseline=single_rate,
            baseline_name="1 event per call",
            target=">= 1,000 events/s",
            met=batch_rate >= 1000,
        )
    )


def bench_api(world: World, n: int, service_rate: float, figures: list) -> float | None:
    """POST /api/value-events/ with an Idempotency-Key through the whole Django + DRF stack
    (in-process client: no socket), vs the service alone measured above."""
    from django.test import Client
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from bench.harness import Figure, Timer, progress, rate

    token = Token.objects.create(user=world.leader)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    now = timezone.now()
    bodies = [_api_body(world, i, now) for i in range(n)]
    first = client.post(
        "/api/value-events/", bodies[0], content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-warm"
    )
    if first.status_code != 201:
        print(f"    API refused the benchmark body: {first.status_code} {first.content[:400]!r}")
        return None
    with progress(f"api: {n} POST /api/value-events/"), Timer() as t:
        for i, body in enumerate(bodies):
            r = client.post(
                "/api/value-events/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"k-{i}"
            )
            if r.status_code != 201:
                raise RuntimeError(f"API answered {r.status_code}: {r.content[:300]!r}")
    api_rate = rate(n, t.seconds)
    figures.append(
        Figure(
            "post value events through the API",
            api_rate,
            "events/s",
            baseline=service_rate,
            baseline_name="service alone",
            target=">= 300 events/s",
            met=api_rate >= 300,
        )
    )
    return api_rate


def bench_api_batches(world: World, n: int, batch: int, single_rate: float, figures: list) -> None:
    """POST /api/value-events/batch/ with `batch` events per request (one Idempotency-Key and
    one DB transaction per request), vs one request per event measured above."""
    from django.test import Client
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from bench.harness import Figure, Timer, progress, rate

    token, _created = Token.objects.get_or_create(user=world.leader)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    now = timezone.now()
    bodies = [_api_body(world, 300_000 + i, now) for i in range(n)]
    batches = [{"events": bodies[start : start + batch]} for start in range(0, n, batch)]
    with progress(f"api: {n} events in {len(batches)} POST /api/value-events/batch/"), Timer() as t:
        for i, body in enumerate(batches):
            r = client.post(
                "/api/value-events/batch/",
                body,
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=f"b-{i}",
            )
            if r.status_code != 201:
                raise RuntimeError(f"API answered {r.status_code}: {r.content[:300]!r}")
    batch_rate = rate(n, t.seconds)
    figures.append(
        Figure(
            f"post value events through the API, batches of {batch}",
            batch_rate,
            "events/s",
            baseline=single_rate,
            baseline_name="1 event per request",
            target=">= 300 events/s",
            met=batch_rate >= 300,
        )
    )


def _api_body(world: World, i: int, now: dt.datetime) -> dict:
    kw = world.event_kwargs(i, now)
    return {
        "me": kw["me"].code,
        "emc": kw["emc"].code,
        "scenario": kw["scenario"].code,
        "solution": kw["solution"].code,
        "category": kw["category"].code,
        "user_ref": kw["user_ref"],
        "amount": str(kw["amount"]),
        "currency": "CNY",
        "occurred_at": kw["occurred_at"].isoformat(),
        "customized": kw["customized"],
        "partners": [p.code for p in kw["partners"]],
    }


def _csv_file(world: World, rows: int, now: dt.datetime) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(
        [
            "kind",
            "ref",
            "me_code",
            "emc_code",
            "scenario_code",
            "solution_code",
            "category_code",
            "user_ref",
            "amount",
            "currency",
            "occurred_at",
            "customized",
            "partner_codes",
        ]
    )
    for i in range(rows):
        writer.writerow(
            [
                "payment",
                f"r{i}",
                world.lead.code,
                world.emc.code,
                world.scenario.code,
                world.solution.code,
                world.category.code,
                f"u-{i % 5000:05d}",
                f"{random.randint(1000, 99_999) / 100:.2f}",
                "CNY",
                (now - dt.timedelta(seconds=i)).isoformat(),
                "true" if i % 3 == 0 else "false",
                ";".join(p.code for p in world.partners[: i % 3]),
            ]
        )
    return buf.getvalue().encode()


def _columns(model, skip=("id",)) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if f.column not in skip]


def _rewrite_by_copy(batch_id: int) -> float:
    """Write the rows an import wrote a second time, by the database alone: its transactions,
    events, partner links and legs are dumped under new ids (COPY ... TO, not timed), then
    written back with COPY ... FROM and the commit (timed), through the same triggers (the
    rollups' included), indexes and commit-time checks. Python only passes bytes along, so this is
    the floor any import of those rows pays on this machine.
    Returns seconds (the copies stay: balanced like the originals, under refs suffixed '~')."""
    from django.db import connection, transaction

    from ledger.models import Leg, Transaction, ValueEvent, ValueEventPartner

    def select(model, alias, join, replace, skip=("id",)):
        cols = _columns(model, skip=skip)
        exprs = ", ".join(replace.get(c, f"{alias}.{c}") for c in cols)
        names = ", ".join(cols)
        if "id" not in replace:
            return names, f"SELECT {exprs} FROM floor_ev m JOIN {model._meta.db_table} {alias} ON {join}"
        return (
            f"id, {names}",
            f"SELECT {replace['id']}, {exprs} FROM floor_ev m JOIN {model._meta.db_table} {alias} ON {join}",
        )

    tables = [
        (
            Transaction,
            select(Transaction, "t", "t.id = m.old_txn", {"id": "m.new_txn"}, ("id", "created_txid")),
        ),
        (
            ValueEvent,
            select(
                ValueEvent,
                "e",
                "e.id = m.old_id",
                {
                    "id": "m.new_id",
                    "transaction_id": "m.new_txn",
                    "idempotency_key": "e.idempotency_key || '~'",
                },
            ),
        ),
        (
            ValueEventPartner,
            select(ValueEventPartner, "p", "p.event_id = m.old_id", {"event_id": "m.new_id"}),
        ),
        (Leg, select(Leg, "l", "l.transaction_id = m.old_txn", {"transaction_id": "m.new_txn"})),
    ]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE floor_ev ON COMMIT DROP AS SELECT e.id AS old_id, e.transaction_id AS old_txn,"
            " nextval(pg_get_serial_sequence('ledger_valueevent', 'id')) AS new_id,"
            " nextval(pg_get_serial_sequence('ledger_transaction', 'id')) AS new_txn"
            " FROM ledger_valueevent e WHERE e.import_batch_id = %s",
            [batch_id],
        )
        raw = cur.cursor
        dumps = []
        for model, (names, query) in tables:
            with raw.copy(f"COPY ({query}) TO STDOUT") as copy:
                dumps.append((model._meta.db_table, names, b"".join(bytes(block) for block in copy)))
        start = time.perf_counter()
        for table, names, data in dumps:
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                copy.write(data)
        # (the legs' COPY adds their rollups through the trigger ledger_leg_rollup, as an import's does)
    return time.perf_counter() - start


def bench_csv(world: World, rows: int, service_rate: float, figures: list) -> None:
    """import_batch_create on a generated file, vs per-row service calls and plain csv parsing."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.utils import timezone

    from bench.harness import Figure, Timer, peak_rss_mb, progress, rate
    from ledger.imports.batches import import_batch_create
    from ledger.models import ImportBatch

    data = _csv_file(world, rows, timezone.now() - dt.timedelta(hours=2))
    # as in production, the tables have statistics (the import once went quadratic only then)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    with Timer() as tp:
        parsed = sum(1 for _ in csv.reader(io.StringIO(data.decode())))
    rss_before = peak_rss_mb()
    with progress(f"csv import: {rows} rows ({len(data) / 1e6:.1f} MB)"), Timer() as t:
        batch = import_batch_create(
            actor=world.leader,
            kind="events",
            upload=SimpleUploadedFile("bench.csv", data),
            filename="bench.csv",
        )
    if batch.status != ImportBatch.Status.POSTED:
        print(
            f"    import did not post: {batch.status}, {batch.errors} errors\n{(batch.error_report or '')[:600]}"
        )
        return
    csv_rate = rate(rows, t.seconds)
    rss_after = peak_rss_mb()  # before the floor, whose dump of the rows sits in memory
    with progress(f"floor: the same {rows} rows written again by the database alone (COPY)"):
        floor_seconds = _rewrite_by_copy(batch.pk)
    figures.append(
        Figure(
            "CSV import of value events",
            csv_rate,
            "rows/s",
            baseline=service_rate,
            baseline_name="one service call per row",
            floor=rate(rows, floor_seconds),
            floor_name="the database alone writing the same rows",
            target=">= 20,000 rows/s",
            met=csv_rate >= 20_000,
            notes={
                "rows": rows,
                "csv_parsing_alone_rows_per_s": round(rate(parsed, tp.seconds)),
                "peak_rss_mb": round(rss_after, 1),
                "rss_growth_mb": round(rss_after - rss_before, 1),
            },
        )
    )
    figures.append(
        Figure(
            f"peak memory during the {rows:,}-row import",
            rss_after,
            "MiB",
            baseline=rss_before,
            baseline_name="before the import",
        )
    )


def bench_balance(world: World, legs: int, samples: int, figures: list) -> None:
    """account_balance(as_of) on an account with `legs` legs over ~3 years, vs SUM over the legs."""
    from django.db import connection

    from bench.harness import Figure, median_ms, percentile_ms, progress
    from bench.naive import bulk_load_legs, naive_balance
    from ledger.selectors import account_balance

    with progress(f"loading {legs:,} legs on one account (raw SQL bulk load)"):
        account_id, first_day, days = bulk_load_legs(world, legs)
    rng = random.Random(7)
    dates = [first_day + dt.timedelta(days=rng.randrange(days)) for _ in range(samples)]
    for d in dates[:5]:  # the fast path must agree with the slow one
        assert account_balance(account=account_id, as_of=d) == naive_balance(account_id, d), d
    fast, slow = [], []
    with connection.cursor():
        for d in dates:
            start = time.perf_counter()
            account_balance(account=account_id, as_of=d)
            fast.append(time.perf_counter() - start)
        for d in dates[: max(20, samples // 5)]:
            start = time.perf_counter()
            naive_balance(account_id, d)
            slow.append(time.perf_counter() - start)
    figures.append(
        Figure(
            f"balance as of a date, account with {legs:,} legs (median)",
            median_ms(fast),
            "ms",
            baseline=median_ms(slow),
            baseline_name="SUM over the legs",
            target="< 20 ms",
            met=percentile_ms(fast, 95) < 20,
            notes={"p95_ms": round(percentile_ms(fast, 95), 3), "samples": samples},
        )
    )
    figures.append(
        Figure(
            "  same, 95th percentile",
            percentile_ms(fast, 95),
            "ms",
            baseline=percentile_ms(slow, 95),
            baseline_name="SUM over the legs",
        )
    )


def _specs(world: World, start: int, n: int, *, days: int, days_ago: int = 0) -> list:
    """`n` payments spread over `days` days, the latest `days_ago` days back."""
    from django.utils import timezone

    from ledger.money import to_minor
    from ledger.posting.specs import ValueEventSpec

    now = timezone.now()
    specs = []
    for i in range(start, start + n):
        kw = world.event_kwargs(i, now - dt.timedelta(days=days_ago + i % days))
        specs.append(
            ValueEventSpec(
                me_id=kw["me"].pk,
                emc_id=kw["emc"].pk,
                scenario_id=kw["scenario"].pk,
                solution_id=kw["solution"].pk,
                category_id=kw["category"].pk,
                user_ref=kw["user_ref"],
                amount_minor=to_minor(kw["amount"], "CNY"),
                currency="CNY",
                occurred_at=kw["occurred_at"],
                customized=kw["customized"],
                partner_ids=tuple(p.pk for p in kw["partners"]),
            )
        )
    return specs


def _post(world: World, start: int, n: int, *, days: int, days_ago: int = 0, batch: int = 1000) -> None:
    from ledger.services import value_events_log

    specs = _specs(world, start, n, days=days, days_ago=days_ago)
    for first in range(0, n, batch):
        value_events_log(specs=specs[first : first + batch], actor=world.leader, source="api")


def bench_verify(world: World, history: int, day: int, rounds: int, figures: list) -> None:
    """verify_ledger after a day's postings on a sealed history of a year (incremental, the
    default), vs the full check of the same ledger; each repeated, median and spread. Round k
    posts its day onto a day of its own (k + 1 days back), as consecutive nights would."""
    from django.db import connection

    from bench.harness import Figure, peak_rss_mb, progress
    from ledger.verification import ledger_verify

    with progress(f"verify: posting a history of {history:,} events over 365 days (batches of 1,000)"):
        _post(world, 400_000, history, days=365)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    with progress("verify: the first check seals the whole history"):
        assert ledger_verify().ok
    rss_before = peak_rss_mb()
    incremental, full = [], []
    for k in range(rounds):
        _post(world, 400_000 + history + k * day, day, days=1, days_ago=rounds - k)
        start = time.perf_counter()
        result = ledger_verify()
        incremental.append(time.perf_counter() - start)
        assert result.ok and result.transactions_checked == day, result
    with progress(f"verify: {rounds} full checks of {history + rounds * day:,} events"):
        for _ in range(rounds):
            start = time.perf_counter()
            assert ledger_verify(full=True).ok
            full.append(time.perf_counter() - start)
    rss_after = peak_rss_mb()
    ms = sorted(1000 * s for s in incremental)
    full_ms = sorted(1000 * s for s in full)
    figures.append(
        Figure(
            f"verify_ledger, a day of {day:,} events on {history:,} (median of {rounds})",
            ms[len(ms) // 2],
            "ms",
            baseline=full_ms[len(full_ms) // 2],
            baseline_name="the full check of the same ledger",
            notes={
                "incremental_ms_min_max": [round(ms[0], 1), round(ms[-1], 1)],
                "full_ms_min_max": [round(full_ms[0], 1), round(full_ms[-1], 1)],
                "peak_rss_mb": round(rss_after, 1),
                "rss_growth_mb": round(rss_after - rss_before, 1),
            },
        )
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--only", nargs="*", choices=["service", "api", "csv", "balance", "verify"])
    args = parser.parse_args(argv)
    size = {k: v[1] if args.quick else v[0] for k, v in SIZES.items()}
    only = set(args.only or ["service", "api", "csv", "balance", "verify"])
    random.seed(42)

    print(f"bench database: {args.database_url} (dropped and recreated)")
    _recreate_database(args.database_url)
    _setup_django(args.database_url)
    from django.db import connection

    from bench.harness import report

    world = World()
    figures: list = []
    service_rate = None
    if only & {"service", "api", "csv"}:
        service_rate = bench_service(world, size["service_events"], size["naive_events"], figures)
    if "service" in only:
        bench_service_concurrent(world, size["service_events"], 4, service_rate, figures)
        bench_service_batches(world, size["service_events"] * 2, 100, service_rate, figures)
    if "api" in only:
        api_rate = bench_api(world, size["api_events"], service_rate, figures)
        if api_rate is not None:
            bench_api_batches(world, size["api_batch_events"], 100, api_rate, figures)
    if "csv" in only:
        bench_csv(world, size["csv_rows"], service_rate, figures)
    if "balance" in only:
        bench_balance(world, size["balance_legs"], size["balance_samples"], figures)
    if "verify" in only:
        bench_verify(world, size["verify_history"], size["verify_day"], size["verify_rounds"], figures)

    from ledger.selectors import ledger_totals_by_currency

    unbalanced = {c: v for c, v in ledger_totals_by_currency().items() if v}
    meta = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": connection.vendor,
        "server_version": connection.cursor().connection.info.server_version,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "quick": args.quick,
        "ledger_balanced": not unbalanced,
    }
    print()
    print(report(figures, meta=meta))
    print(f"\nledger balanced after the run: {not unbalanced}; results in bench/results/latest.json")
    return 0 if not unbalanced else 1


if __name__ == "__main__":
    sys.exit(main())
