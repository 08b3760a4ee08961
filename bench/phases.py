"""The benchmarks of the suite, one phase per child process (`bench.run` starts them):

    .venv/bin/python -m bench.phases setup   --database-url URL --out world.json
    .venv/bin/python -m bench.phases posting --database-url URL --scale small --out posting.json

Each phase is its own process so its peak memory is its own (`ru_maxrss` read when the phase
starts, after Django is set up, and when it ends). Every figure of a phase is beside its
baseline or floor measured in the same process, round by round (rounds interleaved, so a
burst of load on the shared machine moves both sides of a ratio).

Phases: setup (the bench's EMC, its users and token, in the generated ecosystem), posting (one
event per DB transaction beside the floor writing the same rows; batched posting), csv (the
import beside the floor writing the same rows), csv_memory (one import alone: its memory),
balance (balance as of a date as the account's legs grow, beside a SUM over the legs), pages
(query counts and times of the list pages and APIs).
"""

import argparse
import csv
import datetime as dt
import io
import json
import os
import random
import statistics
import sys
import time
from decimal import Decimal

from bench.harness import peak_rss_mb, setup_django

# per scale: sizes of each benchmark (the history itself is the generated point's)
SIZES = {
    "tiny": {
        "single": 30,
        "batch": 50,
        "batch_events": 300,
        "rounds": 3,
        "csv_rows": 500,
        "csv_rounds": 2,
        "legs": [1_000, 4_000],
        "samples": 30,
        "page_repeats": 2,
    },
    "small": {
        "single": 200,
        "batch": 100,
        "batch_events": 2_000,
        "rounds": 5,
        "csv_rows": 5_000,
        "csv_rounds": 3,
        "legs": [10_000, 100_000],
        "samples": 200,
        "page_repeats": 5,
    },
    "medium": {
        "single": 1_000,
        "batch": 100,
        "batch_events": 10_000,
        "rounds": 5,
        "csv_rows": 20_000,
        "csv_rounds": 3,
        "legs": [10_000, 100_000, 1_000_000],
        "samples": 300,
        "page_repeats": 9,
    },
    "haier": {
        "single": 2_000,
        "batch": 100,
        "batch_events": 20_000,
        "rounds": 5,
        "csv_rows": 100_000,
        "csv_rounds": 3,
        "legs": [10_000, 100_000, 1_000_000],
        "samples": 300,
        "page_repeats": 15,
    },
}

PASSWORD = "bench-password-1"  # the bench's own users, in the bench's own database only


class World:
    """The bench's EMC inside the generated ecosystem: a lead ME with its leader, three node
    MEs, two partners and an approved contract (what every posting benchmark posts into)."""

    CODES = {"lead": "bench-lead", "emc": "bench-emc", "scenario": "bench-balcony"}

    @classmethod
    def create(cls) -> "World":
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from rest_framework.authtoken.models import Token

        from ledger import services as ledger_services
        from orgs import models as org

        User = get_user_model()
        admin = User.objects.create_user("bench-admin", password=PASSWORD, is_staff=True)
        admin.groups.add(Group.objects.get(name="platform_admin"))
        leader = User.objects.create_user("bench-leader", password=PASSWORD)
        leader.groups.add(Group.objects.get(name="me_leader"))
        Token.objects.create(user=leader)
        kind = org.MEKind.objects.get(code="node")
        start = dt.date(2023, 1, 1)
        lead = org.Microenterprise.objects.create(
            code="bench-lead", name="Lead", kind=kind, status="active", founded_on=start, leader=leader
        )
        nodes = [
            org.Microenterprise.objects.create(
                code=f"bench-node-{i}", name=f"Node {i}", kind=kind, status="active", founded_on=start
            )
            for i in range(3)
        ]
        scenario = org.Scenario.objects.create(code="bench-balcony", name="Smart balcony")
        category = org.Category.objects.create(code="bench-dryer", name="Dryers", is_core=True)
        solution = org.Solution.objects.create(scenario=scenario, code="bench-sol", name="Dry & fold")
        solution.categories.add(category)
        emc = org.EMC.objects.create(
            code="bench-emc", name="Bench EMC", kind="experience", lead_me=lead, formed_on=start
        )
        emc.scenarios.add(scenario)
        weights = [Decimal(40), Decimal(20), Decimal(20), Decimal(20)]
        for me, weight in zip([lead, *nodes], weights, strict=True):
            org.EMCNode.objects.create(emc=emc, me=me, share_weight=weight, joined_on=start)
        tier = org.PartnerTier.objects.get(code="gold")
        partners = [
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
        for p in partners:
            org.EMCParticipation.objects.create(emc=emc, partner=p, started_on=start)
        contract = ledger_services.contract_draft_create(
            actor=admin,
            emc=emc,
            effective_from=start,
            currency="CNY",
            period="month",
            platform_fee_pct=Decimal(5),
            target_minor=10_000_000,
            base_rate_pct=Decimal(10),
            holdback_pct=Decimal(10),
            holdback_days=30,
            tiers=[{"threshold_pct": Decimal(120), "rate_pct": Decimal(20)}],
            partner_shares=[{"partner": p, "share_pct": Decimal(8)} for p in partners],
            node_shares=[{"me": me, "share_pct": w} for me, w in zip([lead, *nodes], weights, strict=True)],
        )
        approver = User.objects.create_user("bench-approver", password=PASSWORD, is_staff=True)
        approver.groups.add(Group.objects.get(name="platform_admin"))  # a version's drafter never approves it
        ledger_services.contract_approve(actor=approver, contract=contract)
        return cls()

    def __init__(self):
        from django.contrib.auth import get_user_model

        from orgs import models as org

        User = get_user_model()
        self.admin = User.objects.get(username="bench-admin")
        self.leader = User.objects.get(username="bench-leader")
        self.lead = org.Microenterprise.objects.get(code="bench-lead")
        self.nodes = list(org.Microenterprise.objects.filter(code__startswith="bench-node-").order_by("code"))
        self.scenario = org.Scenario.objects.get(code="bench-balcony")
        self.category = org.Category.objects.get(code="bench-dryer")
        self.solution = org.Solution.objects.get(code="bench-sol")
        self.emc = org.EMC.objects.get(code="bench-emc")
        self.partners = list(org.Partner.objects.filter(code__startswith="bench-p").order_by("code"))

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

    def spec(self, i: int, now: dt.datetime):
        from ledger.money import to_minor
        from ledger.posting.specs import ValueEventSpec

        kw = self.event_kwargs(i, now)
        return ValueEventSpec(
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


# --- what a phase wrote, table by table ------------------------------------------------------


def _raw(connection):
    connection.ensure_connection()
    return connection.connection


def flush_stats(conn) -> None:
    """Make a session report its table counts now: asked to, it flushes them when it next goes
    idle, which it has done once it answers the next statement."""
    conn.execute("SELECT pg_stat_force_next_flush()")
    conn.commit()
    conn.execute("SELECT 1")
    conn.commit()


def flush_django_stats() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_stat_force_next_flush()")
        cur.execute("SELECT 1")


def table_writes(conn) -> dict[str, int]:
    """Rows inserted plus rows updated so far, per table, as PostgreSQL counts them
    (pg_stat_user_tables; the writing sessions flushed their counts first)."""
    conn.execute("SELECT pg_stat_clear_snapshot()")
    rows = conn.execute("SELECT relname, n_tup_ins + n_tup_upd FROM pg_stat_user_tables").fetchall()
    conn.commit()
    return dict(rows)


def writes_between(before: dict, after: dict) -> dict[str, int]:
    return {t: after[t] - before.get(t, 0) for t in sorted(after) if after[t] - before.get(t, 0)}


# --- posting: one event per DB transaction, its floor, batches ------------------------------

ROW_TABLES = ("ledger_transaction", "ledger_valueevent", "ledger_valueeventpartner", "ledger_leg")


def _columns(conn, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows if r[0] not in ("id", "created_txid")]


def _dump_postings(conn, txn_ids: list[int]) -> list[dict]:
    """The rows the service wrote for these transactions, grouped by transaction (not timed)."""
    cols = {t: _columns(conn, t) for t in ROW_TABLES}
    by_txn = {
        r[0]: {"txn": r[1:], "event": None, "partners": [], "legs": []}
        for r in conn.execute(
            f"SELECT id, {', '.join(cols['ledger_transaction'])} FROM ledger_transaction WHERE id = ANY(%s)",
            [txn_ids],
        )
    }
    for r in conn.execute(
        f"SELECT transaction_id, id, {', '.join(cols['ledger_valueevent'])} FROM ledger_valueevent"
        " WHERE transaction_id = ANY(%s)",
        [txn_ids],
    ):
        by_txn[r[0]]["event"] = (r[1], r[2:])
    for r in conn.execute(
        f"SELECT e.transaction_id, {', '.join('p.' + c for c in cols['ledger_valueeventpartner'])}"
        " FROM ledger_valueeventpartner p JOIN ledger_valueevent e ON e.id = p.event_id"
        " WHERE e.transaction_id = ANY(%s) ORDER BY p.id",
        [txn_ids],
    ):
        by_txn[r[0]]["partners"].append(r[1:])
    for r in conn.execute(
        f"SELECT transaction_id, {', '.join(cols['ledger_leg'])} FROM ledger_leg"
        " WHERE transaction_id = ANY(%s) ORDER BY id",
        [txn_ids],
    ):
        by_txn[r[0]]["legs"].append(r[1:])
    conn.commit()
    return [by_txn[t] | {"cols": cols} for t in sorted(by_txn)]


def replay_floor(url: str, postings: list[dict], *, one_trip: bool = True) -> float:
    """The floor of one event per DB transaction: the very rows the service wrote (transaction,
    event, partner links, legs with their basis) inserted again under new ids, one DB
    transaction and one commit per event, through the same triggers (the legs' rollups and
    checks, the commit-time balance check), indexes and constraints. Returns seconds.

    `one_trip` (the target's floor): each event's plain INSERTs, one per table, sent together in
    one round trip (the event and its legs take the new ids with currval), as the service
    writes an event in one statement. Otherwise one round trip per INSERT (the floor before the
    service wrote in one statement: three round trips per event more than it needs)."""
    import psycopg
    from psycopg.types.json import Jsonb

    conn = psycopg.connect(url, cursor_factory=psycopg.ClientCursor) if one_trip else psycopg.connect(url)
    cols = postings[0]["cols"]
    txn_cols, ev_cols, vp_cols, leg_cols = (cols[t] for t in ROW_TABLES)
    ev_txn, ev_key = ev_cols.index("transaction_id"), ev_cols.index("idempotency_key")
    vp_event = vp_cols.index("event_id")
    leg_txn, leg_basis = leg_cols.index("transaction_id"), leg_cols.index("basis")
    txn_seq = "currval(pg_get_serial_sequence('ledger_transaction', 'id'))"
    ev_seq = "currval(pg_get_serial_sequence('ledger_valueevent', 'id'))"

    def ph(n, at=None, value="%s"):
        return "(" + ", ".join(value if i == at else "%s" for i in range(n)) + ")"

    sql_txn = (
        f"INSERT INTO ledger_transaction ({', '.join(txn_cols)}) VALUES {ph(len(txn_cols))} RETURNING id"
    )
    sql_ev = f"INSERT INTO ledger_valueevent ({', '.join(ev_cols)}) VALUES {ph(len(ev_cols))} RETURNING id"
    rows = []
    for p in postings:  # prepared outside the timing: Python only passes values along
        event = list(p["event"][1])
        if event[ev_key] is not None:
            event[ev_key] = event[ev_key] + "~"
        legs = [list(leg) for leg in p["legs"]]
        for leg in legs:
            leg[leg_basis] = Jsonb(leg[leg_basis])
        partners = [list(v) for v in p["partners"]]
        if not one_trip:
            rows.append((p["txn"], event, partners, legs))
            continue
        # one round trip: the INSERTs of the event, its ids taken with currval in the SQL
        del event[ev_txn]
        statements = [
            f"INSERT INTO ledger_transaction ({', '.join(txn_cols)}) VALUES {ph(len(txn_cols))}",
            f"INSERT INTO ledger_valueevent ({', '.join(ev_cols)}) VALUES {ph(len(ev_cols), ev_txn, txn_seq)}",
        ]
        params = [*p["txn"], *event]
        if partners:
            statements.append(
                f"INSERT INTO ledger_valueeventpartner ({', '.join(vp_cols)}) VALUES "
                + ", ".join([ph(len(vp_cols), vp_event, ev_seq)] * len(partners))
            )
            params += [x for v in partners for i, x in enumerate(v) if i != vp_event]
        statements.append(
            f"INSERT INTO ledger_leg ({', '.join(leg_cols)}) VALUES "
            + ", ".join([ph(len(leg_cols), leg_txn, txn_seq)] * len(legs))
        )
        params += [x for leg in legs for i, x in enumerate(leg) if i != leg_txn]
        rows.append(("; ".join(statements), params))
    start = time.perf_counter()
    with conn.cursor() as cur:
        if one_trip:
            for sql, params in rows:
                cur.execute(sql, params)
                conn.commit()
        else:
            for txn, event, partners, legs in rows:
                cur.execute(sql_txn, txn)
                txn_id = cur.fetchone()[0]
                event[ev_txn] = txn_id
                cur.execute(sql_ev, event)
                event_id = cur.fetchone()[0]
                if partners:
                    for v in partners:
                        v[vp_event] = event_id
                    cur.execute(
                        f"INSERT INTO ledger_valueeventpartner ({', '.join(vp_cols)}) VALUES "
                        + ", ".join([ph(len(vp_cols))] * len(partners)),
                        [x for v in partners for x in v],
                    )
                for leg in legs:
                    leg[leg_txn] = txn_id
                cur.execute(
                    f"INSERT INTO ledger_leg ({', '.join(leg_cols)}) VALUES "
                    + ", ".join([ph(len(leg_cols))] * len(legs)),
                    [x for leg in legs for x in leg],
                )
                conn.commit()
    seconds = time.perf_counter() - start
    flush_stats(conn)
    conn.close()
    return seconds


def phase_posting(url: str, size: dict) -> dict:
    import psycopg
    from django.utils import timezone

    from ledger import services
    from ledger.models import Transaction

    world = World()
    stats = psycopg.connect(url)
    now = timezone.now()
    n, rounds = size["single"], size["rounds"]
    per = max(1, n // rounds)
    # warm: the accounts a first posting opens (both partners), the code paths (not timed, not counted)
    services.value_event_log(actor=world.leader, source="api", **world.event_kwargs(999_998, now))
    flush_django_stats()
    single, floor, floor_tables, batched = [], [], [], []
    wrote = {"service": {}, "floor": {}, "batched": {}}

    def add(into, writes):
        for t, v in writes.items():
            into[t] = into.get(t, 0) + v

    for k in range(rounds):
        before = table_writes(stats)
        last = Transaction.objects.order_by("-id").values_list("id", flat=True).first() or 0
        start = time.perf_counter()
        for i in range(k * per, (k + 1) * per):
            services.value_event_log(actor=world.leader, source="api", **world.event_kwargs(i, now))
        single.append(per / (time.perf_counter() - start))
        flush_django_stats()
        mid = table_writes(stats)
        add(wrote["service"], writes_between(before, mid))
        txn_ids = list(Transaction.objects.filter(id__gt=last).values_list("id", flat=True))
        postings = _dump_postings(stats, txn_ids)
        before = table_writes(stats)
        floor.append(per / replay_floor(url, postings))
        add(wrote["floor"], writes_between(before, table_writes(stats)))
        floor_tables.append(per / replay_floor(url, postings, one_trip=False))
    batch = size["batch"]
    per_batch = max(batch, size["batch_events"] // rounds)
    for k in range(rounds):
        specs = [world.spec(1_000_000 + k * per_batch + i, now) for i in range(per_batch)]
        before = table_writes(stats)
        start = time.perf_counter()
        for first in range(0, per_batch, batch):
            services.value_events_log(specs=specs[first : first + batch], actor=world.leader, source="api")
        batched.append(per_batch / (time.perf_counter() - start))
        flush_django_stats()
        add(wrote["batched"], writes_between(before, table_writes(stats)))
    stats.close()
    return {
        "single_events": per * rounds,
        "batch_events": per_batch * rounds,
        "batch_size": batch,
        "rounds": rounds,
        "single_rate": single,
        "floor_rate": floor,
        "floor_tables_rate": floor_tables,
        "batched_rate": batched,
        "writes": wrote,
    }


# --- CSV import ------------------------------------------------------------------------------


def csv_file(world: World, rows: int, now: dt.datetime, prefix: str) -> bytes:
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
                f"{prefix}{i}",
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


def rewrite_by_copy(batch_id: int) -> float:
    """The floor of an import: the rows the import wrote (transactions, events with their refs,
    partner links, legs with their basis) dumped under new ids (COPY ... TO, not timed), then
    written back with COPY ... FROM in one DB transaction and one commit, as the import does,
    in the import's chunks (`ledger.imports.run.CHUNK` events: each chunk's COPY of legs
    upserts its daily rollups, as the import's does), through the same triggers (the legs'
    rollups and checks, the commit-time balance check), indexes and constraints. Python only
    passes bytes along. Returns seconds (the copies stay: balanced like the originals, their
    refs suffixed '~')."""
    from django.db import connection, transaction

    from ledger.imports.run import CHUNK
    from ledger.models import Leg, Transaction, ValueEvent, ValueEventPartner

    def cols(model, skip=("id",)):
        return [f.column for f in model._meta.concrete_fields if f.column not in skip]

    def select(model, alias, join, replace, skip=("id",)):
        names = cols(model, skip)
        exprs = ", ".join(replace.get(c, f"{alias}.{c}") for c in names)
        lead = f"{replace['id']}, " if "id" in replace else ""
        return (
            ("id, " if "id" in replace else "") + ", ".join(names),
            f"SELECT {lead}{exprs} FROM floor_ev m JOIN {model._meta.db_table} {alias} ON {join}"
            " WHERE m.chunk = %s",
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
            " nextval(pg_get_serial_sequence('ledger_transaction', 'id')) AS new_txn,"
            " (row_number() OVER (ORDER BY e.id) - 1) / %s AS chunk"
            " FROM ledger_valueevent e WHERE e.import_batch_id = %s",
            [CHUNK, batch_id],
        )
        cur.execute("SELECT coalesce(max(chunk), -1) + 1 FROM floor_ev")
        chunks = cur.fetchone()[0]
        raw = cur.cursor
        dumps = []
        for chunk in range(chunks):  # chunk by chunk, table by table, as the import writes
            for model, (names, query) in tables:
                with raw.copy(f"COPY ({query}) TO STDOUT", [chunk]) as copy:
                    dumps.append((model._meta.db_table, names, b"".join(bytes(block) for block in copy)))
        start = time.perf_counter()
        for table, names, data in dumps:
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                copy.write(data)
    return time.perf_counter() - start  # the commit (with its deferred checks) included


def _import(world: World, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ledger.imports.batches import import_batch_create
    from ledger.models import ImportBatch

    batch = import_batch_create(
        actor=world.leader, kind="events", upload=SimpleUploadedFile("bench.csv", data), filename="bench.csv"
    )
    if batch.status != ImportBatch.Status.POSTED:
        raise RuntimeError(f"import did not post: {batch.status}\n{(batch.error_report or '')[:600]}")
    return batch


def phase_csv(url: str, size: dict) -> dict:
    import psycopg
    from django.db import connection
    from django.utils import timezone

    from ledger.models import Leg

    world = World()
    stats = psycopg.connect(url)
    rows = size["csv_rows"]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as in production, the tables have statistics
    imports, floors = [], []
    wrote = {"import": {}, "floor": {}}
    legs_per_event, explained = [], []
    for k in range(size["csv_rounds"]):
        data = csv_file(world, rows, timezone.now() - dt.timedelta(hours=2), f"r{k}-")
        before = table_writes(stats)
        start = time.perf_counter()
        batch = _import(world, data)
        imports.append(rows / (time.perf_counter() - start))
        flush_django_stats()
        mid = table_writes(stats)
        for t, v in writes_between(before, mid).items():
            wrote["import"][t] = wrote["import"].get(t, 0) + v
        legs = Leg.objects.filter(transaction__value_event__import_batch_id=batch.pk)
        legs_per_event.append(legs.count() / rows)
        explained.append(legs.exclude(basis={}).count() / max(1, legs.count()))
        floors.append(rows / rewrite_by_copy(batch.pk))
        flush_django_stats()
        for t, v in writes_between(mid, table_writes(stats)).items():
            wrote["floor"][t] = wrote["floor"].get(t, 0) + v
    stats.close()
    return {
        "rows": rows,
        "rounds": size["csv_rounds"],
        "import_rate": imports,
        "floor_rate": floors,
        "legs_per_event": legs_per_event,
        "legs_explained": explained,
        "writes": wrote,
    }


def phase_csv_memory(url: str, size: dict) -> dict:
    """One import alone in this process: its peak memory beside the process before it."""
    from django.utils import timezone

    world = World()
    rows = size["csv_rows"]
    data = csv_file(world, rows, timezone.now() - dt.timedelta(hours=3), "m-")
    before = peak_rss_mb()
    start = time.perf_counter()
    _import(world, data)
    return {
        "rows": rows,
        "seconds": time.perf_counter() - start,
        "rss_before_mb": before,
        "peak_rss_mb": peak_rss_mb(),
    }


# --- balance as of a date as legs grow -------------------------------------------------------


def phase_balance(url: str, size: dict) -> dict:
    from django.db import connection

    from bench.naive import bulk_load_legs, naive_balance
    from ledger.models import Account
    from ledger.selectors import account_balance

    world = World()
    target = Account.objects.create(
        code="bench:balance-target", kind="me", me=world.nodes[0], currency="CNY", name="bench target"
    )
    rng = random.Random(7)
    curve, loaded = [], 0
    for legs in size["legs"]:
        first_day, days = bulk_load_legs(world, target, legs - loaded)
        loaded = legs
        dates = [first_day + dt.timedelta(days=rng.randrange(days)) for _ in range(size["samples"])]
        for d in dates[:5]:  # the fast path must agree with the slow one
            assert account_balance(account=target.pk, as_of=d) == naive_balance(target.pk, d), d
        fast, slow = [], []
        with connection.cursor():
            for d in dates:
                start = time.perf_counter()
                account_balance(account=target.pk, as_of=d)
                fast.append(time.perf_counter() - start)
            for d in dates[: max(20, size["samples"] // 5)]:
                start = time.perf_counter()
                naive_balance(target.pk, d)
                slow.append(time.perf_counter() - start)
        curve.append({"legs": legs, "fast_s": fast, "sum_s": slow})
    return {"curve": curve}


# --- list pages and APIs ---------------------------------------------------------------------

PAGES = [
    ("dashboard", "/", "admin"),
    ("ledger home", "/ledger/", "leader"),
    ("partner directory", "/partners/", "admin"),
    ("partner directory, filtered", "/partners/?state=active&tier=gold", "admin"),
    ("partner directory, search", "/partners/?q=partner", "admin"),
    ("ME list", "/mes/", "admin"),
    ("EMC list", "/emcs/", "admin"),
    ("network graph data", "/network/data/", "admin"),
    ("audit list", "/audit/", "admin"),
    ("API partners", "/api/partners/", "admin"),
    ("API MEs", "/api/mes/", "admin"),
    ("API EMCs", "/api/emcs/", "admin"),
    ("API value events", "/api/value-events/", "admin"),
    ("API transactions", "/api/transactions/", "admin"),
    ("API accounts", "/api/accounts/", "admin"),
    ("API signals", "/api/signals/", "admin"),
]


def phase_pages(url: str, size: dict) -> dict:
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from ledger import services
    from ledger.models import ValueEvent

    world = World()
    # the leader's pages with something of its own on them at every scale (a page with no rows
    # skips the queries that read them: at the small point the phases have posted nothing)
    if not ValueEvent.objects.filter(me=world.lead).exists():
        services.value_event_log(
            actor=world.leader, source="api", **world.event_kwargs(999_997, timezone.now())
        )
    clients = {}
    for who, user in (("admin", world.admin), ("leader", world.leader)):
        clients[who] = Client()
        clients[who].force_login(user)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
        cur.execute(
            "SELECT (SELECT count(*) FROM orgs_microenterprise), (SELECT count(*) FROM orgs_emc),"
            " (SELECT count(*) FROM orgs_partner), (SELECT count(*) FROM ledger_valueevent)"
        )
        mes, emcs, partners, events = cur.fetchone()
    pages = {}
    for name, path, who in PAGES:
        client = clients[who]
        queries = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        client.get(path)  # warm (the first request of a client loads templates, URL resolvers...)
        with connection.execute_wrapper(count):
            response = client.get(path)
        samples = []
        for _ in range(size["page_repeats"]):
            start = time.perf_counter()
            client.get(path)
            samples.append(time.perf_counter() - start)
        pages[name] = {"path": path, "status": response.status_code, "queries": len(queries), "s": samples}
    return {"ecosystem": {"mes": mes, "emcs": emcs, "partners": partners, "events": events}, "pages": pages}


def phase_setup(url: str, size: dict) -> dict:
    from rest_framework.authtoken.models import Token

    world = World.create()
    return {"token": Token.objects.get(user=world.leader).key, "password": PASSWORD}


PHASES = {
    "setup": phase_setup,
    "posting": phase_posting,
    "csv": phase_csv,
    "csv_memory": phase_csv_memory,
    "balance": phase_balance,
    "pages": phase_pages,
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("phase", choices=sorted(PHASES))
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scale", default="small", choices=sorted(SIZES))
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    random.seed(42)
    setup_django(args.database_url, migrate=False)
    import django.db

    rss_start = peak_rss_mb()
    start = time.perf_counter()
    result = PHASES[args.phase](args.database_url, SIZES[args.scale])
    result["phase"] = {
        "name": args.phase,
        "seconds": time.perf_counter() - start,
        "rss_start_mb": rss_start,
        "peak_rss_mb": peak_rss_mb(),
        "pid": os.getpid(),
    }
    django.db.connections.close_all()
    with open(args.out, "w") as fh:
        json.dump(result, fh, default=str)
    return 0


def median(xs):
    return statistics.median(xs) if xs else float("nan")


if __name__ == "__main__":
    sys.exit(main())
