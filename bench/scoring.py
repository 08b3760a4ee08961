"""The nightly scoring: the same heavy night over growing histories, a full rebuild, peak memory.

    .venv/bin/python -m bench.scoring                  # 1,000 EMCs; histories 0, 300,000, 1,000,000
    .venv/bin/python -m bench.scoring --quick          # a tenth of that
    .venv/bin/python -m bench.scoring --points 0 300000 1000000 3000000 --no-rebuild-at 3000000
    .venv/bin/python -m bench.scoring --url postgres://.../generated --keep   # a generated history

Without `--url` it builds its own ecosystem in BENCH_DATABASE_URL (dropped and recreated; with
`--url` and `--keep` it measures a database built by the synthetic generator as it is and only
adds the night's rows). For each history size H (value events over the year before day D):

1. the history is loaded with set-based SQL (triggers off, as fixture data; legs balanced, daily
   account rollups rebuilt from the legs, ANALYZE), recorded two days ago;
2. **full rebuild**: the pipeline for D-1 with every scoring table empty: one ingest of the whole
   history, the per-user state rebuilt, the trailing-window sums read whole, every figure
   computed (it is also the night before D, whose window sums the night of D advances);
3. **the night**: 30,000 new value events (5 % back-dated up to 30 days) and 9,000 signals are
   recorded, then the pipeline runs for D: the incremental night (its window sums advanced from
   D-1's, scoring/windows.py; the bench fails if they were read whole), step by step, with peak
   resident memory per step (a sampler thread reads /proc/self/status every 20 ms). The night
   runs `--nights` times (default 3), each time on a fresh copy of the database as it stands
   before the night (`CREATE DATABASE ... TEMPLATE ... STRATEGY FILE_COPY`, not timed), so every
   repeat does the very same work from the very same state; the curve takes the median night at
   each point (its steps are that night's) and shows the spread, min-max. One night alone moves
   by a second or two with the machine (a third of the margin the 1.5x target leaves), so one
   night per point would let the machine decide the target;
4. beside it, in the same run, for one metric (user-paid value and the share of customized
   payments per EMC over the 90-day period): a **naive per-EMC ORM loop** over the raw events
   (the baseline) and **one SQL over the raw events** (the floor), each timed 5 times (median,
   min, max).

The acceptance curve: the night under 60 s at every H, and within 1.5x of the night over no
history; a full rebuild of the 1,000,000-event year under 10 minutes; memory under 1 GB.
`verify` (the ledger's checks, the pipeline's first step) is shown apart: the checks in force
today recompute the rollups from every leg (they grow with history) until the ledger's own
`verify_ledger` replaces them.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import threading
import time
from contextlib import contextmanager

from bench.harness import DEFAULT_URL, Figure, _recreate_database, _setup_django, report

SIZES = {"emcs": 1000, "mes": 4000, "partners": 10000, "users": 200_000, "night": 30_000}
POINTS = [0, 300_000, 1_000_000]


# --- memory -----------------------------------------------------------------------------------


class Sampler:
    """Peak resident memory of this process per named phase (MiB)."""

    def __init__(self):
        self.phase = "idle"
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def rss_mb() -> float:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def _run(self):
        while not self._stop.wait(0.02):
            rss = self.rss_mb()
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0.0), rss)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join()


SAMPLER = Sampler()


# --- the synthetic ecosystem and history --------------------------------------------------------


def build_org(sizes: dict) -> None:
    """MEs, EMCs (4 node seats), partners (3 participations), categories (30 % non-core),
    scenarios and solutions, and the ledger accounts the history credits."""
    from django.db import connection

    from bench.orgs import grow
    from orgs import models as org

    grow(mes=sizes["mes"], emcs=sizes["emcs"], partners=sizes["partners"], start_at=0)
    industries = list(org.Industry.objects.filter(level="class").order_by("code")[:73])
    categories = org.Category.objects.bulk_create(
        org.Category(code=f"cat-{i:03d}", name=f"Category {i}", is_core=i % 10 >= 3, industry=industries[i])
        for i in range(73)
    )
    scenarios = org.Scenario.objects.bulk_create(
        org.Scenario(code=f"scn-{i:04d}", name=f"Scenario {i}") for i in range(max(1, sizes["emcs"] // 4))
    )
    emcs = list(org.EMC.objects.order_by("id"))
    org.EMC.scenarios.through.objects.bulk_create(
        org.EMC.scenarios.through(emc=e, scenario=scenarios[i % len(scenarios)]) for i, e in enumerate(emcs)
    )
    solutions = org.Solution.objects.bulk_create(
        org.Solution(scenario=s, code=f"sol-{i:05d}", name=f"Solution {i}") for i, s in enumerate(scenarios)
    )
    org.Solution.categories.through.objects.bulk_create(
        org.Solution.categories.through(solution=s, category=categories[(i + k) % 73])
        for i, s in enumerate(solutions)
        for k in range(1 + i % 2)
    )
    org.SolutionVersion.objects.bulk_create(
        org.SolutionVersion(
            solution=s, number=n + 1, released_on=dt.date.today() - dt.timedelta(days=300 - 60 * n - i % 40)
        )
        for i, s in enumerate(solutions)
        for n in range(5)
    )
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO ledger_account (code, kind, me_id, currency, name, created_at) "
            "SELECT 'me:' || code || ':CNY', 'me', id, 'CNY', 'ME ' || code, now() FROM orgs_microenterprise"
        )
        cur.execute(
            "INSERT INTO ledger_account (code, kind, partner_id, currency, name, created_at) "
            "SELECT 'partner:' || code || ':CNY', 'partner', id, 'CNY', 'Partner ' || code, now() FROM orgs_partner"
        )
        cur.execute(
            "INSERT INTO ledger_account (code, kind, currency, name, created_at) "
            "VALUES ('clearing:CNY', 'clearing', 'CNY', 'User-payments clearing CNY', now())"
        )
        # helper tables the generator joins (numbered so row g picks one with a modulo)
        cur.execute(
            "CREATE TABLE bench_emc AS SELECT row_number() OVER (ORDER BY e.id) - 1 AS n, e.id AS emc_id, "
            "e.lead_me_id AS me_id, s.scenario_id, (SELECT id FROM orgs_solution WHERE scenario_id = s.scenario_id LIMIT 1) AS solution_id "
            "FROM orgs_emc e JOIN orgs_emc_scenarios s ON s.emc_id = e.id"
        )
        cur.execute(
            "CREATE TABLE bench_part AS SELECT emc_id, partner_id, row_number() OVER (PARTITION BY emc_id ORDER BY partner_id) - 1 AS k "
            "FROM orgs_emcparticipation"
        )
        cur.execute("CREATE INDEX ON bench_part (emc_id, k)")
        cur.execute(
            "CREATE TABLE bench_cat AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id AS category_id FROM orgs_category"
        )
        cur.execute("ANALYZE")


def load_events(
    *, count: int, first_day: dt.date, days: int, recorded: dt.datetime, users: int, seed: int
) -> None:
    """`count` payments spread over `days` days from `first_day` (weekly and yearly seasonality
    through the hash), a third with a partner, 20 %% customized; their transactions and balanced
    legs (clearing, ME, partner 10 %); 0.3 signals per payment; then the account rollups."""
    if count <= 0:
        return
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute("SELECT COALESCE(max(id), 0) FROM ledger_transaction")
        base = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM bench_emc")
        n_emc = cur.fetchone()[0]
        params = {
            "base": base,
            "count": count,
            "first": first_day,
            "days": days,
            "rec": recorded,
            "users": users,
            "emcs": n_emc,
            "seed": seed,
        }
        # one row per event, its randomness from a hash of (seed, g): the same data every run
        cur.execute(
            "CREATE TEMP TABLE gen AS SELECT g, %(base)s + g AS id, "
            "abs(hashtextextended(%(seed)s::text || ':' || g, 0)) AS h FROM generate_series(1, %(count)s) g",
            params,
        )
        cur.execute(
            "CREATE TEMP TABLE gen2 AS SELECT gen.id, gen.h, e.emc_id, e.me_id, e.scenario_id, "
            "CASE WHEN gen.h %% 5 < 4 THEN e.solution_id END AS solution_id, c.category_id, "
            "%(first)s::date + (gen.h / 7 %% %(days)s)::int AS day, "
            "'u-' || lpad((gen.h / 13 %% %(users)s)::text, 6, '0') AS user_ref, "
            "(ARRAY[9900, 19900, 29900, 59900, 129900, 299900])[1 + gen.h / 17 %% 6] AS amount, "
            "gen.h %% 5 = 0 AS customized, p.partner_id "
            "FROM gen JOIN bench_emc e ON e.n = gen.h %% %(emcs)s "
            "JOIN bench_cat c ON c.n = gen.h / 3 %% 73 "
            "LEFT JOIN bench_part p ON p.emc_id = e.emc_id AND p.k = gen.h / 11 %% 3 AND gen.h %% 3 = 0",
            params,
        )
        cur.execute(
            "INSERT INTO ledger_transaction (id, kind, effective_on, recorded_at, memo) "
            "SELECT id, 'payment', day, %(rec)s, '' FROM gen2",
            params,
        )
        cur.execute(
            "INSERT INTO ledger_valueevent (kind, me_id, emc_id, scenario_id, solution_id, category_id, user_ref, "
            "amount_minor, currency, occurred_at, occurred_on, customized, transaction_id, note, logged_at, source) "
            "SELECT 'payment', me_id, emc_id, scenario_id, solution_id, category_id, user_ref, amount, 'CNY', "
            "day + time '12:00', day, customized, id, '', %(rec)s, 'job' FROM gen2",
            params,
        )
        cur.execute(
            "INSERT INTO ledger_valueeventpartner (event_id, partner_id) "
            "SELECT v.id, g.partner_id FROM gen2 g JOIN ledger_valueevent v ON v.transaction_id = g.id "
            "WHERE g.partner_id IS NOT NULL"
        )
        cur.execute(
            "INSERT INTO ledger_leg (transaction_id, account_id, currency, amount_minor, effective_on, rule, basis) "
            "SELECT g.id, (SELECT id FROM ledger_account WHERE code = 'clearing:CNY'), 'CNY', g.amount, g.day, 'payment', '{}'::jsonb FROM gen2 g "
            "UNION ALL SELECT g.id, a.id, 'CNY', -(g.amount - CASE WHEN g.partner_id IS NULL THEN 0 ELSE g.amount / 10 END), g.day, 'node', '{}'::jsonb "
            "FROM gen2 g JOIN ledger_account a ON a.me_id = g.me_id "
            "UNION ALL SELECT g.id, a.id, 'CNY', -(g.amount / 10), g.day, 'partner', '{}'::jsonb "
            "FROM gen2 g JOIN ledger_account a ON a.partner_id = g.partner_id"
        )
        kinds = "(ARRAY['rating', 'co_creation', 'story', 'ownership'])[1 + g.h / 19 %% 4]"
        cur.execute(
            f"INSERT INTO ledger_usersignal (kind, me_id, emc_id, scenario_id, user_ref, occurred_at, occurred_on, "
            "rating, expectation, co_creation_kind, products_owned, related_purchase, note, logged_at, source) "
            f"SELECT {kinds}, me_id, emc_id, scenario_id, user_ref, day + time '13:00', day, "
            f"CASE WHEN {kinds} = 'rating' THEN 2 + h / 23 %% 4 END, CASE WHEN {kinds} = 'rating' THEN 2 + h / 29 %% 4 END, "
            f"CASE WHEN {kinds} = 'co_creation' THEN 'idea' END, CASE WHEN {kinds} = 'ownership' THEN 1 + h / 31 %% 7 END, "
            f"CASE WHEN {kinds} = 'ownership' THEN h %% 2 = 0 END, 'bench', %(rec)s, 'job' FROM gen2 g WHERE h / 37 %% 10 < 3",
            params,
        )
        cur.execute("DROP TABLE gen; DROP TABLE gen2")
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('ledger_transaction', 'id'), (SELECT max(id) FROM ledger_transaction))"
        )
        cur.execute("SET session_replication_role = DEFAULT")


def rebuild_account_days() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute("DELETE FROM ledger_accountday")
        cur.execute(
            "INSERT INTO ledger_accountday (account_id, day, slot, net_minor, debit_minor, credit_minor, legs) "
            "SELECT account_id, effective_on, 0, sum(amount_minor), sum(greatest(amount_minor, 0)), "
            "sum(greatest(-amount_minor, 0)), count(*) FROM ledger_leg GROUP BY account_id, effective_on"
        )
        cur.execute("SET session_replication_role = DEFAULT")
        cur.execute("ANALYZE")


SCORING_TABLES = (
    "scoring_snapshot",
    "scoring_classcount",
    "scoring_runchunk",
    "scoring_statemark",
    "scoring_userstate",
    "scoring_userday",
    "scoring_valueday",
    "scoring_categoryday",
    "scoring_solutionday",
    "scoring_partnerday",
    "scoring_earnedday",
    "scoring_signalday",
    "scoring_partnersignalday",
    "scoring_windowsum",  # the trailing-window sums kept night to night (scoring/windows.py)
    "scoring_windowstate",
    "judging_scorecard",  # the judging step's rows refer to the runs
    "judging_matrixpoint",
    "scoring_nightlyrun",
    "scoring_ingest",
)
LEDGER_TABLES = (
    "ledger_valueeventpartner",
    "ledger_usersignal",
    "ledger_valueevent",
    "ledger_leg",
    "ledger_accountday",
    "ledger_transaction",
)


def empty_tables(tables) -> None:
    """TRUNCATE (fast, no per-row work), with the ledger's triggers off for this session.
    CASCADE: what later steps derive from these rows (a payout report naming a transaction)
    goes with them, whichever app added it."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        cur.execute("SET session_replication_role = DEFAULT")


# --- the pipeline, step by step ----------------------------------------------------------------


def run_pipeline(day: dt.date, cutoff: dt.datetime, *, verify: bool = True) -> dict:
    """The pipeline's own steps in this process (what `run_inline` does), timed and sampled.
    `verify=False`: the ledger's checks are marked skipped (the bench's fixture history is not
    sealed, so the first check seals all of it: the ledger's cost, measured by its own bench)."""
    from scoring import pipeline, services

    real_step = pipeline._step

    def step(run, name, **values):  # name the sampler's phase after the step that runs
        if values.get("status") == "running":
            SAMPLER.phase = name
        return real_step(run, name, **values)

    pipeline._step = step
    try:
        started = time.perf_counter()
        run = services.run_start(run_date=day, cutoff=cutoff)
        if not verify:
            real_step(run, "verify", status="done", seconds=0, result={"skipped": "bench --no-rebuild-at"})
        pending = pipeline.run_prepare(run)
        SAMPLER.phase = "chunks"
        chunk_started = time.perf_counter()
        for number in pending:
            pipeline.chunk_compute(run_id=run.pk, number=number)
        chunk_seconds = time.perf_counter() - chunk_started
        SAMPLER.phase = "ecosystem"
        run = pipeline.run_finish(run_id=run.pk)
        total = time.perf_counter() - started
    finally:
        pipeline._step = real_step
        SAMPLER.phase = "idle"
    steps = {
        name: run.steps.get(name, {}).get("seconds")
        for name in ("verify", "ingest", "users", "windows", "ecosystem")
    }
    steps["chunks"] = round(chunk_seconds, 3)
    advanced = (run.steps.get("windows", {}).get("result") or {}).get("advanced")
    return {
        "total": total,
        "steps": steps,
        "snapshots": run.counts.get("snapshots"),
        "run": run,
        "advanced": advanced,
    }


@contextmanager
def on_copy(url: str):
    """Django's connection on a fresh copy of the database `url` names, for the block; the copy
    is dropped after it. Yields the seconds the copy took."""
    import psycopg
    from django.db import connections

    def disconnect():  # a template has no other session: the pool's connections closed too
        connections.close_all()
        if getattr(connections["default"], "pool", None) is not None:
            connections["default"].close_pool()

    base, source = url.rsplit("/", 1)
    copy = f"{source}_night"
    disconnect()
    with psycopg.connect(base + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{copy}"')
        start = time.perf_counter()
        admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{source}" STRATEGY FILE_COPY')
        seconds = time.perf_counter() - start
    settings = connections["default"].settings_dict
    settings["NAME"] = copy
    try:
        yield seconds
    finally:
        disconnect()
        settings["NAME"] = source
        with psycopg.connect(base + "/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{copy}"')


def timed(fn, repeats: int = 5) -> tuple[float, float, float]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), min(samples), max(samples)


def naive_per_emc(day: dt.date) -> dict:
    """The baseline: for each EMC, the ORM over its raw events (user-paid value, % customized)."""
    from django.conf import settings
    from django.db.models import Count, Q, Sum

    from ledger.models import ValueEvent
    from orgs.models import EMC

    start = day - dt.timedelta(days=settings.SCORING_PERIOD_DAYS - 1)
    out = {}
    for emc in EMC.objects.all():
        rows = ValueEvent.objects.filter(
            emc=emc, occurred_on__gte=start, occurred_on__lte=day, currency="CNY"
        )
        paid = rows.filter(kind="payment").aggregate(
            n=Count("id"), c=Count("id", filter=Q(customized=True)), s=Sum("amount_minor")
        )
        refunded = rows.filter(kind="refund").aggregate(s=Sum("amount_minor"))["s"] or 0
        out[emc.pk] = ((paid["s"] or 0) - refunded, paid["c"], paid["n"])
    return out


def floor_sql(day: dt.date) -> dict:
    """The floor: one SQL over the raw events for all EMCs (the same metric)."""
    from django.conf import settings
    from django.db import connection

    start = day - dt.timedelta(days=settings.SCORING_PERIOD_DAYS - 1)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT emc_id, sum(CASE WHEN kind = 'payment' THEN amount_minor ELSE -amount_minor END), "
            "count(*) FILTER (WHERE kind = 'payment' AND customized), count(*) FILTER (WHERE kind = 'payment') "
            "FROM ledger_valueevent WHERE occurred_on BETWEEN %s AND %s AND currency = 'CNY' GROUP BY emc_id",
            [start, day],
        )
        return {r[0]: tuple(r[1:]) for r in cur.fetchall()}


def rollup_read(day: dt.date, ingest_id: int) -> dict:
    """The scoring's own read of the same metric: one grouped query over its daily rollups."""
    from django.conf import settings
    from django.db.models import Sum

    from scoring.models import ValueDay

    start = day - dt.timedelta(days=settings.SCORING_PERIOD_DAYS - 1)
    rows = (
        ValueDay.objects.filter(ingest_id__lte=ingest_id, day__gte=start, day__lte=day, currency="CNY")
        .values("emc_id")
        .annotate(net=Sum("net_minor"), c=Sum("customized"), n=Sum("payments"))
        .order_by()
    )
    return {r["emc_id"]: (r["net"], r["c"], r["n"]) for r in rows}


# --- main --------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    parser.add_argument("--points", type=int, nargs="*", help="history sizes in value events")
    parser.add_argument("--url", help="database to use (default BENCH_DATABASE_URL, dropped and recreated)")
    parser.add_argument("--keep", action="store_true", help="with --url: measure its history as it is")
    parser.add_argument(
        "--no-rebuild-at",
        type=int,
        nargs="*",
        default=[],
        help="history sizes whose full rebuild is not measured: the state before the night is "
        "built by the same pipeline without the ledger's checks (verify) in the rebuild and the night",
    )
    parser.add_argument(
        "--nights",
        type=int,
        default=3,
        help="times the night runs at each point, each on a fresh copy of the same database (median taken)",
    )
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1
    sizes = {k: v // scale for k, v in SIZES.items()}
    points = args.points if args.points is not None else [p // scale for p in POINTS]
    url = args.url or os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ["SCORING_CUTOFF_LAG_SECONDS"] = "0"
    if not args.keep:
        _recreate_database(url)
    _setup_django(url)
    SAMPLER.start()
    from django.utils import timezone

    from scoring.signals import night_scored

    # the scoring alone: the judging step that follows a night is measured by bench.judging
    night_scored.disconnect(dispatch_uid="judging.on_night_scored")

    today = timezone.localdate()
    day = today - dt.timedelta(days=1)
    print(f"scoring bench: {sizes}, histories {points}", flush=True)
    if not args.keep:
        t = time.perf_counter()
        build_org(sizes)
        print(f"  ecosystem built in {time.perf_counter() - t:.1f}s", flush=True)

    figures, curve, meta = [], [], {"sizes": sizes, "points": points, "day": day.isoformat()}
    base_night = None
    for i, history in enumerate([None] if args.keep else points):
        label = "the given history" if history is None else f"{history:,} events"
        if not args.keep:
            empty_tables(SCORING_TABLES + LEDGER_TABLES)
            load_events(
                count=history,
                first_day=day - dt.timedelta(days=365),
                days=365,
                recorded=timezone.now() - dt.timedelta(days=2),
                users=sizes["users"],
                seed=i,
            )
            rebuild_account_days()
        else:
            empty_tables(SCORING_TABLES)
        # full rebuild: every scoring table empty, the pipeline for D-1 over the whole history
        SAMPLER.peaks.clear()
        measured = history not in args.no_rebuild_at
        rebuild = run_pipeline(
            day - dt.timedelta(days=1), timezone.now() - dt.timedelta(days=1), verify=measured
        )
        rebuild_peak = max(SAMPLER.peaks.values(), default=0)
        # the night: 30,000 events recorded now, for D (5 % back-dated up to 30 days)
        recorded = timezone.now() - dt.timedelta(minutes=1)
        load_events(
            count=sizes["night"] * 95 // 100,
            first_day=day,
            days=1,
            recorded=recorded,
            users=sizes["users"],
            seed=1000,
        )
        load_events(
            count=sizes["night"] * 5 // 100,
            first_day=day - dt.timedelta(days=30),
            days=30,
            recorded=recorded,
            users=sizes["users"],
            seed=1001,
        )
        rebuild_account_days()
        nights = []
        for repeat in range(args.nights):
            with on_copy(url) as copy_seconds:
                SAMPLER.peaks.clear()
                night = run_pipeline(day, timezone.now(), verify=measured)
                # the night of D advances the window sums the run of D - 1 (the rebuild) left
                assert night["advanced"] is True, "the night read its windows whole"
                night["peaks"] = dict(SAMPLER.peaks)
                night["work"] = night["total"] - (night["steps"]["verify"] or 0)
                nights.append(night)
                print(
                    f"    night {repeat + 1} of {args.nights} (copy {copy_seconds:.1f}s): {night['work']:.1f}s "
                    f"excl. verify, steps {night['steps']}",
                    flush=True,
                )
                if repeat < args.nights - 1:
                    continue
                # the one metric three ways, on the last copy (it holds the night's ingest)
                naive = timed(lambda: naive_per_emc(day))
                floor = timed(lambda: floor_sql(day))
                ingest_id = night["run"].ingest_id
                from_rollups = timed(lambda ingest_id=ingest_id: rollup_read(day, ingest_id))
                exact = {k: tuple(int(x or 0) for x in v) for k, v in floor_sql(day).items()}
                for name, found in (
                    ("rollups", rollup_read(day, ingest_id)),
                    ("naive loop", naive_per_emc(day)),
                ):
                    assert {k: tuple(int(x or 0) for x in v) for k, v in found.items() if v[2]} == exact, (
                        f"{name} != floor"
                    )
        works = sorted(n["work"] for n in nights)
        night = sorted(nights, key=lambda n: n["work"])[(len(nights) - 1) // 2]  # the median night
        work = night["work"]
        peaks = {step: max(n["peaks"].get(step, 0) for n in nights) for step in night["peaks"]}
        if base_night is None:
            base_night = work
        rebuilt = f"{rebuild['total']:6.1f} s" if measured else f"{rebuild['total']:6.1f} s without verify"
        curve.append(
            (label, work, (works[0], works[-1]), night["steps"], rebuilt, max(peaks.values(), default=0))
        )
        print(
            f"  {label}: median night {night['total']:.1f}s (verify {night['steps']['verify']}s; "
            f"excl. verify min-max {works[0]:.1f}-{works[-1]:.1f}s over {len(works)}) steps {night['steps']}; "
            f"rebuild {rebuild['total']:.1f}s {rebuild['steps']}; peak {max(peaks.values(), default=0):.0f} MiB "
            f"{peaks}; one metric: rollups {from_rollups[0] * 1000:.1f} ms, naive loop {naive[0] * 1000:.0f} ms, "
            f"raw SQL {floor[0] * 1000:.1f} ms",
            flush=True,
        )
        figures.append(
            Figure(
                f"night over {label} (excl. verify, median of {len(works)})",
                work,
                "s",
                baseline=base_night,
                baseline_name="the same night over no history (median)",
                target=f"< 60 s and <= 1.5x no history ({1.5 * base_night:.1f} s)",
                met=work < 60 and work <= 1.5 * base_night,
                notes={
                    "nights_s": [round(w, 3) for w in works],
                    "steps": night["steps"],
                    "snapshots": night["snapshots"],
                    "peak_mib_per_step": peaks,
                },
            )
        )
        figures.append(
            Figure(
                f"  one metric (value, % customized per EMC) from the rollups, over {label}",
                from_rollups[0] * 1000,
                "ms",
                baseline=naive[0] * 1000,
                baseline_name=f"naive per-EMC ORM loop over raw events, min {naive[1] * 1000:.0f} max {naive[2] * 1000:.0f}",
                floor=floor[0] * 1000,
                floor_name=f"one SQL over raw events, min {floor[1] * 1000:.1f} max {floor[2] * 1000:.1f}",
                notes={"rollups_min_max_s": from_rollups[1:]},
            )
        )
        figures.append(
            Figure(f"  verify (the ledger's checks) over {label}", night["steps"]["verify"] or 0, "s")
        )
        figures.append(
            Figure(
                f"full rebuild over {label}"
                if measured
                else f"the state before the night over {label} (a rebuild without verify: not the full rebuild)",
                rebuild["total"],
                "s",
                target="< 600 s at 1,000,000" if measured else "",
                met=rebuild["total"] < 600 if measured else None,
                notes={"steps": rebuild["steps"], "verify": "run" if measured else "skipped"},
            )
        )
        figures.append(
            Figure(
                f"peak memory over {label}",
                max(rebuild_peak, *peaks.values()),
                "MiB",
                target="< 1024 MiB",
                met=max(rebuild_peak, *peaks.values()) < 1024,
                notes={"night": peaks, "rebuild": rebuild_peak},
            )
        )
    SAMPLER.stop()
    print()
    print(
        f"the curve (the median of {args.nights} nights, excluding verify, against the same at no history; min-max):"
    )
    for label, work, (low, high), steps, rebuild_s, peak in curve:
        print(
            f"  {label:>20}: {work:6.1f} s [{low:.1f}-{high:.1f}]  ({work / base_night:.2f}x)  "
            f"rebuild {rebuild_s}  peak {peak:5.0f} MiB  {steps}"
        )
    print()
    print(report(figures, meta=meta, filename="scoring.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
