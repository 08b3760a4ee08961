"""bench/RESULTS.md from one run's data (bench.run): every figure beside its baseline or floor
from the same run, with the median and spread of its repeats, and each target met or missed."""

import statistics

EXAMPLE_NOTE = (
    "> **Example run at the `{scale}` scale** (the command checked on a small ecosystem, machine"
    " shared with other runs). The figures that count come from `--scale haier`.\n"
)

SECTIONS = [
    "Machine",
    "Load average",
    "History point",
    "Targets",
    "Generator against its floor",
    "Posting, one event per DB transaction",
    "Rows written",
    "Batched posting",
    "CSV import",
    "Memory per phase",
    "Balance as of a date as legs grow",
    "Query counts, small and this scale",
    "Web load",
]


def med(xs):
    return statistics.median(xs)


def spread(xs, fmt="{:,.1f}") -> str:
    """median [min-max] (p5-p95 past 20 samples)."""
    xs = sorted(xs)
    if len(xs) > 20:
        lo, hi = xs[round(0.05 * (len(xs) - 1))], xs[round(0.95 * (len(xs) - 1))]
        label = "p5-p95"
    else:
        lo, hi, label = xs[0], xs[-1], "min-max"
    return f"{fmt.format(med(xs))} [{label} {fmt.format(lo)}-{fmt.format(hi)}]"


def ratios(a, b):
    return [x / y for x, y in zip(a, b, strict=True)]


def yes(ok) -> str:
    return "**met**" if ok else "**missed**"


def _quartiles(xs) -> list[float]:
    """First quartile, median, third quartile."""
    return statistics.quantiles(xs, n=4) if len(xs) > 1 else [xs[0]] * 3


def _generator(g: dict, point: dict) -> list[str]:
    """The generator's section: the slice, its figure beside the floor, week by week."""
    org = g["organization"]
    built = (
        f"copied from the template `{org['template']}` in {org['copy_seconds']:.1f} s"
        f" (written in {org['seconds'] or 0:.0f} s when the point was built)"
        if org.get("reused")
        else f"written in this phase in {org['seconds']:.0f} s"
        + (f" and kept as the template `{org['template']}`" if org.get("template") else "")
    )
    lines = [
        "## Generator against its floor",
        "",
        f"`ecosystem_generate`'s history (`synth.history` drawing the batches, `synth.writer` posting"
        " them through `ledger.services.value_events_log`, `user_signals_log` and the partner"
        " service, every trigger on) for the first"
        f" {g['days_asked']} days of the plan of `{point['database']}` ({g['scale']}, {g['plan_events']:,}"
        f" events over the year, seed {g['seed']}): recording days {g['first_day']} to {g['last_day']},"
        f" {g['events']:,} value events in {g['batches']} batches (one DB transaction each), {g['signals']:,}"
        f" user signals, {g['lifecycle_steps']} partner lifecycle steps, in one process, on a fresh copy"
        f" of the point's organization ({org['bytes'] / 2**20:,.0f} MiB; {built}). The **floor** is the"
        " database alone writing the very rows each batch wrote (accounts, transactions, events,"
        " partner links, legs, user signals), dumped (not timed) and written by COPY into a second"
        " copy of the organization, one commit per batch, the legs' daily rollups upserted by their"
        " trigger, through the same triggers, indexes and commit-time checks, each batch a moment"
        " after the generator wrote it (`bench.synth --interleaved`): a burst of load on the shared"
        " machine moves both sides of a pair. A ratio is the floor's time over the generator's, batch"
        " by batch.",
        "",
    ]
    q = _quartiles(g["batch_ratios"])
    lines += [
        f"- generator {g['run_rate']:,.0f} events/s ({g['run_seconds']:.1f} s), floor"
        f" {g['floor_rate']:,.0f} events/s ({g['floor_seconds']:.1f} s): {g['run_rate'] / g['floor_rate']:.2f}x"
        f" in total; per batch median {q[1]:.2f}x, quartiles {q[0]:.2f}-{q[2]:.2f}x, min-max"
        f" {min(g['batch_ratios']):.2f}-{max(g['batch_ratios']):.2f}x",
        f"- ledger check on the generator's database afterwards (`ledger_check_rollups`,"
        f" `ledger_totals_by_currency`): {g['check']['rollup_diffs']} rollup differences, totals"
        f" {g['check']['totals']}: **{'passes' if g['check_ok'] else 'fails'}**",
        f"- the slice's database {g['history_bytes'] / 2**20:,.0f} MiB; the phase {g['phase']['seconds']:.0f} s"
        " in all (copies, migrations, the dumps and the check included)",
        "",
    ]
    weeks: dict[int, list] = {}
    first = min(row[0] for row in g["per_batch"])
    import datetime as dt

    day0 = dt.date.fromisoformat(first)
    for day, events, run_s, floor_s in g["per_batch"]:
        weeks.setdefault((dt.date.fromisoformat(day) - day0).days // 7, []).append((events, run_s, floor_s))
    rows = []
    for k, batches in sorted(weeks.items()):
        events = sum(b[0] for b in batches)
        run_s, floor_s = sum(b[1] for b in batches), sum(b[2] for b in batches)
        rows.append(
            (
                f"{day0 + dt.timedelta(days=7 * k)} to {day0 + dt.timedelta(days=7 * k + 6)}",
                len(batches),
                f"{events:,}",
                f"{events / run_s:,.0f}",
                f"{events / floor_s:,.0f}",
                f"{statistics.median(b[2] / b[1] for b in batches):.2f}",
            )
        )
    lines += _table(
        ["recording days", "batches", "events", "generator events/s", "floor events/s", "median batch ratio"],
        rows,
    )
    return [*lines, ""]


def _table(header, rows) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def render(data: dict) -> tuple[str, list[dict]]:
    meta, res = data["meta"], data["results"]
    m = meta["machine"]
    lines = ["# Benchmark results", ""]
    if meta["scale"] != "haier":
        lines += [EXAMPLE_NOTE.format(scale=meta["scale"]), ""]
    lines += [
        f"One run of `python -m bench.run --scale {meta['scale']}`, {meta['started']} to {meta['finished']} UTC"
        f" ({meta['seconds'] / 60:.1f} min). Every figure below comes from this run; each ratio compares"
        " two figures measured in it, round by round where repeated.",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['cpus']} logical CPUs; RAM {m['ram_gib']} GiB; Linux {m['kernel']}",
        f"- PostgreSQL {m['postgresql']} ("
        + ", ".join(f"{k} {v}" for k, v in sorted(m["postgresql_settings"].items()))
        + f"); Python {m['python']}",
        f"- git commit `{m['commit'][:12]}` on `{m['branch']}`"
        + (" (uncommitted changes)" if m["dirty"] else ""),
        "",
    ]
    la = meta["load_average"]
    d = la["during"]
    lines += [
        "## Load average",
        "",
        "1-, 5- and 15-minute load averages (the machine's other work moves every figure; the ratios"
        " compare figures measured side by side):",
        "",
        f"- before: {' / '.join(f'{x:.2f}' for x in la['before'])}",
        f"- during (1-minute, every {d['every_s']:.0f} s, {d['samples']} samples): median {d['median']:.2f},"
        f" min {d['min']:.2f}, max {d['max']:.2f}",
        f"- after: {' / '.join(f'{x:.2f}' for x in la['after'])}",
        "",
    ]
    p, sp = meta["point"], meta["small_point"]

    def point_line(pt):
        built = f"built in this run in {pt['built_now_s']:.0f} s" if pt.get("built_now_s") else "reused"
        return (
            f"- `{pt['database']}`: scale {pt.get('scale')}, {pt.get('events', 0):,} value events, seed"
            f" {pt.get('seed')}, days {pt.get('first_day')} to {pt.get('last_day')}, {pt['bytes'] / 2**20:,.0f} MiB;"
            f" {built} (organization {pt.get('organization_seconds', 0):.0f} s, history"
            f" {pt.get('history_seconds', 0):.0f} s when built)"
        )

    lines += [
        "## History point",
        "",
        point_line(p),
        (
            "- the query counts compare this point with itself at this scale (run `--scale haier` for the real check)"
            if sp["database"] == p["database"]
            else point_line(sp) + " (the query counts' comparison)"
        ),
        f"- copied into the bench database in {meta['clone_s']:.1f} s; the benchmarks post into the bench's own"
        " EMC (a lead ME, three nodes, two partners, an approved contract) inside that ecosystem",
        "",
    ]

    targets = []
    g = res["generator"]
    g_q = _quartiles(g["batch_ratios"])
    targets.append(
        {
            "target": "generator >= 0.8x the floor writing the same rows (same triggers, a commit per batch)",
            "figure": f"generator {g['run_rate']:,.0f} events/s ({g['events']:,} events, {g['batches']} batches)",
            "against": f"floor {g['floor_rate']:,.0f} events/s, batch by batch",
            "ratio": f"{g_q[1]:.2f} [quartiles {g_q[0]:.2f}-{g_q[2]:.2f}]x the floor's rate per batch",
            "met": g_q[1] >= 0.8,
        }
    )
    chk = g["check"]
    targets.append(
        {
            "target": "ledger check after the generator: rollups equal the legs, every currency sums to zero",
            "figure": f"{chk['rollup_diffs']} rollup differences",
            "against": "totals " + ", ".join(f"{k} {v}" for k, v in sorted(chk["totals"].items())),
            "ratio": "passes" if g["check_ok"] else "fails",
            "met": bool(g["check_ok"]),
        }
    )
    post = res["posting"]
    single_vs_floor = ratios(post["floor_rate"], post["single_rate"])  # service time / floor time
    targets.append(
        {
            "target": "one value event per DB transaction within 1.3x of its floor",
            "figure": f"service {spread(post['single_rate'])} events/s",
            "against": f"floor {spread(post['floor_rate'])} events/s",
            "ratio": f"{spread(single_vs_floor, '{:.2f}')}x the floor's time",
            "met": med(single_vs_floor) <= 1.3,
        }
    )
    batch_vs_single = med(post["batched_rate"]) / med(post["single_rate"])
    targets.append(
        {
            "target": ">= 5x the one-per-transaction rate, batched",
            "figure": f"batches of {post['batch_size']}: {spread(post['batched_rate'])} events/s",
            "against": f"one per transaction {spread(post['single_rate'])} events/s",
            "ratio": f"{batch_vs_single:.1f}x (medians)",
            "met": batch_vs_single >= 5,
        }
    )
    c = res["csv"]
    csv_vs_floor = ratios(c["import_rate"], c["floor_rate"])
    kept = min(c["legs_explained"]) == 1.0 and min(c["legs_per_event"]) >= 6
    targets.append(
        {
            "target": "CSV import >= 0.8x the floor writing the same rows (legs and their basis kept)",
            "figure": f"import {spread(c['import_rate'])} rows/s",
            "against": f"floor {spread(c['floor_rate'])} rows/s",
            "ratio": f"{spread(csv_vs_floor, '{:.2f}')}x the floor's rate",
            "met": med(csv_vs_floor) >= 0.8 and kept,
        }
    )
    curve = res["balance"]["curve"]
    top, bottom = curve[-1], curve[0]
    top_p95 = sorted(top["fast_s"])[round(0.95 * (len(top["fast_s"]) - 1))] * 1000
    flat = med(top["fast_s"]) / med(bottom["fast_s"])
    targets.append(
        {
            "target": f"balance as of a date < 20 ms at {top['legs']:,} legs (p95)",
            "figure": f"{spread([x * 1000 for x in top['fast_s']], '{:.2f}')} ms",
            "against": f"SUM over the legs {spread([x * 1000 for x in top['sum_s']], '{:.1f}')} ms",
            "ratio": f"{med(top['sum_s']) / med(top['fast_s']):.0f}x faster than the SUM (medians)",
            "met": top_p95 < 20,
        }
    )
    targets.append(
        {
            "target": f"balance flat as legs grow ({bottom['legs']:,} to {top['legs']:,}: median within 2x)",
            "figure": f"{med(top['fast_s']) * 1000:.2f} ms at {top['legs']:,}",
            "against": f"{med(bottom['fast_s']) * 1000:.2f} ms at {bottom['legs']:,}",
            "ratio": f"{flat:.2f}x",
            "met": flat <= 2,
        }
    )
    pages, small_pages = res["pages"]["pages"], res["pages_small"]["pages"]
    differ = [n for n in pages if pages[n]["queries"] != small_pages[n]["queries"]]
    statuses = [n for n in pages if pages[n]["status"] != 200 or small_pages[n]["status"] != 200]
    targets.append(
        {
            "target": "list pages and APIs: the same query count at small and this scale",
            "figure": f"{len(pages) - len(differ)} of {len(pages)} pages equal",
            "against": "the small point, same run",
            "ratio": ", ".join(differ) or "none differ",
            "met": not differ and not statuses,
        }
    )
    load = res.get("load")
    if load:
        bound = load["connections"]["bound"]
        targets.append(
            {
                "target": "web load: no error, connections bounded by the pools",
                "figure": f"{load['total']['requests']:,} requests, {load['total']['failures']} errors",
                "against": f"at most {load['connections']['max']} connections held (bound {bound})",
                "ratio": f"{load['total']['rps']:.1f} requests/s",
                "met": load["total"]["failures"] == 0 and load["connections"]["max"] <= bound,
            }
        )
    lines += ["## Targets", ""]
    lines += _table(
        ["target", "figure", "beside (same run)", "ratio", "met"],
        [(t["target"], t["figure"], t["against"], t["ratio"], yes(t["met"])) for t in targets],
    )
    lines += [
        "",
        "Spreads: median [min-max] of the rounds (p5-p95 past 20 samples). Rates are per round;"
        " a ratio is taken round by round (service round k beside floor round k, which writes"
        " the rows round k wrote) and its median given; the generator's batch by batch.",
        "",
    ]
    lines += _generator(g, p)
    lines += [
        "## Posting, one event per DB transaction",
        "",
        f"`ledger.services.value_event_log`, {post['single_events']:,} calls in {post['rounds']} rounds, each"
        " its own DB transaction and commit. The **floor** of each round writes again the very rows"
        " that round wrote (transaction, event, partner links, legs with their basis), under new"
        " ids, one DB transaction and one commit per event, with plain INSERTs on one connection,"
        " one per table, sent together in one round trip (as the service writes an event in one"
        " statement): the same triggers (the legs' checks, their daily rollups, the commit-time"
        " balance check), indexes and constraints, and no validation, lookup or allocation. The"
        " last column is the floor of earlier runs, one round trip per INSERT, measured beside them.",
        "",
    ]
    tables_rate = post.get("floor_tables_rate") or [float("nan")] * len(post["floor_rate"])
    lines += _table(
        [
            "round",
            "service events/s",
            "floor events/s",
            "service time / floor time",
            "floor, a round trip per INSERT, events/s",
        ],
        [
            (k + 1, f"{s:,.1f}", f"{f:,.1f}", f"{r:.2f}", f"{t:,.1f}")
            for k, (s, f, r, t) in enumerate(
                zip(post["single_rate"], post["floor_rate"], single_vs_floor, tables_rate, strict=True)
            )
        ],
    )
    lines += ["", "## Rows written", "", "Rows inserted or updated per table (PostgreSQL's own counts,"
              " `pg_stat_user_tables`), the service beside its floor, and the import beside its floor:", ""]  # fmt: skip
    names = sorted(set(post["writes"]["service"]) | set(post["writes"]["floor"]) | set(c["writes"]["import"]))
    lines += _table(
        ["table", "service", "its floor", "CSV import", "its floor"],
        [
            (
                n,
                post["writes"]["service"].get(n, 0),
                post["writes"]["floor"].get(n, 0),
                c["writes"]["import"].get(n, 0),
                c["writes"]["floor"].get(n, 0),
            )
            for n in names
        ],
    )
    lines += [
        "",
        "What the import writes beyond its floor is per file, not per row (the batch record, its"
        " status updates and the audit entry).",
        "",
        "## Batched posting",
        "",
        f"`ledger.services.value_events_log`, {post['batch_events']:,} events in batches of {post['batch_size']}"
        f" (one DB transaction each), {post['rounds']} rounds: {spread(post['batched_rate'])} events/s, beside"
        f" one event per transaction {spread(post['single_rate'])} events/s: **{batch_vs_single:.1f}x**.",
        "",
        "## CSV import",
        "",
        f"`ledger.imports.batches.import_batch_create` on a generated file of {c['rows']:,} rows (validated"
        f" whole, posted in one DB transaction), {c['rounds']} rounds, after an `ANALYZE`. The **floor**"
        " of each round is the database alone writing the rows that import wrote (transactions,"
        " events, partner links, legs with their basis) again under new ids, by COPY, in one DB"
        " transaction and one commit, through the same triggers, indexes and checks.",
        "",
    ]
    lines += _table(
        ["round", "import rows/s", "floor rows/s", "import / floor", "legs per event", "legs with a basis"],
        [
            (k + 1, f"{i:,.0f}", f"{f:,.0f}", f"{r:.2f}", f"{lp:.2f}", f"{ex:.0%}")
            for k, (i, f, r, lp, ex) in enumerate(
                zip(
                    c["import_rate"],
                    c["floor_rate"],
                    csv_vs_floor,
                    c["legs_per_event"],
                    c["legs_explained"],
                    strict=True,
                )
            )
        ],
    )
    mem = res["csv_memory"]
    lines += [
        "",
        "## Memory per phase",
        "",
        "Each phase runs in a process of its own: its peak resident memory (`ru_maxrss`) beside the"
        " same process once Django is set up, before the phase's work.",
        "",
    ]
    lines += _table(
        ["phase", "peak RSS MiB", "at its start MiB", "growth MiB", "seconds"],
        [
            (
                n,
                f"{res[n]['phase']['peak_rss_mb']:.1f}",
                f"{res[n]['phase']['rss_start_mb']:.1f}",
                f"{res[n]['phase']['peak_rss_mb'] - res[n]['phase']['rss_start_mb']:.1f}",
                f"{res[n]['phase']['seconds']:.1f}",
            )
            for n in ("posting", "csv", "csv_memory", "balance", "pages", "generator")
        ],
    )
    lines += [
        "",
        f"One import of {mem['rows']:,} rows alone (`csv_memory`): peak {mem['peak_rss_mb']:.1f} MiB beside"
        f" {mem['rss_before_mb']:.1f} MiB with the file in memory before it (+{mem['peak_rss_mb'] - mem['rss_before_mb']:.1f}"
        f" MiB), {mem['seconds']:.1f} s.",
        "",
        "## Balance as of a date as legs grow",
        "",
        "`ledger.selectors.account_balance(as_of=...)` (from the daily rollups) at random dates on one"
        " account over 1,000 days, as its legs grow, beside the baseline `SUM` over the account's legs up"
        " to the date. The legs are fixture data (bulk SQL, see bench/naive.py); the fast answer is"
        " checked equal to the SUM on five dates at each size.",
        "",
    ]
    lines += _table(
        ["legs", "balance ms", "SUM over legs ms", "SUM / balance", "balance / first size"],
        [
            (
                f"{pt['legs']:,}",
                spread([x * 1000 for x in pt["fast_s"]], "{:.2f}"),
                spread([x * 1000 for x in pt["sum_s"]], "{:.1f}"),
                f"{med(pt['sum_s']) / med(pt['fast_s']):.0f}x",
                f"{med(pt['fast_s']) / med(bottom['fast_s']):.2f}x",
            )
            for pt in curve
        ],
    )
    eco, small_eco = res["pages"]["ecosystem"], res["pages_small"]["ecosystem"]

    def eco_s(e):
        return (
            f"{e['mes']:,} MEs, {e['emcs']:,} EMCs, {e['partners']:,} partners, {e['events']:,} value events"
        )

    lines += [
        "",
        "## Query counts, small and this scale",
        "",
        "Right after the bench's EMC is added (before the other phases post), each page once with its"
        f" queries counted, then timed (median [min-max]), on this scale's"
        f" ecosystem ({eco_s(eco)}) and on the small point's ({eco_s(small_eco)}).",
        "",
    ]
    lines += _table(
        ["page", "queries", "queries (small)", "ms", "ms (small)", "same count"],
        [
            (
                f"{n} `{pages[n]['path']}`",
                pages[n]["queries"],
                small_pages[n]["queries"],
                spread([x * 1000 for x in pages[n]["s"]]),
                spread([x * 1000 for x in small_pages[n]["s"]]),
                "yes" if pages[n]["queries"] == small_pages[n]["queries"] else "**no**",
            )
            for n in pages
        ],
    )
    lines += ["", "## Web load", ""]
    if not load:
        lines += ["Not run (`--no-load`).", ""]
    else:
        cfg = load["config"]
        lines += [
            f"locust, {cfg['users']} concurrent users for {cfg['seconds']} s (spawn rate {cfg['spawn_rate']}/s),"
            f" sharing the session of one leader logged in before the run, against gunicorn ({cfg['workers']} workers x {cfg['threads']} threads,"
            f" TLS on loopback port {cfg['port']}, `config.settings.production`) + PostgreSQL + Redis"
            f" (`{cfg['redis']}`) + one Celery worker (concurrency {cfg['celery_concurrency']}), right after"
            " the bench's EMC is added (before the phases write their events into the leader's EMC). Weights: "
            + ", ".join(f"{k} {v}" for k, v in cfg["weights"].items())
            + ".",
            "",
        ]
        lines += _table(
            ["request", "requests", "errors", "requests/s", "p50 ms", "p95 ms", "p99 ms", "max ms"],
            [
                (
                    name,
                    f"{r['requests']:,}",
                    r["failures"],
                    f"{r['rps']:.1f}",
                    f"{r['p50']:.0f}",
                    f"{r['p95']:.0f}",
                    f"{r['p99']:.0f}",
                    f"{r['max']:.0f}",
                )
                for name, r in [*load["requests"].items(), ("all", load["total"])]
            ],
        )
        conns = load["connections"]
        posts = load["requests"].get("log value post", {})
        lines += [
            "",
            f"The form posted {load['events_posted']:,} value events for {posts.get('requests', 0):,} posts"
            " counted by locust (a post still in flight when the run stops is written but not counted).",
            "",
            f"Database connections to the bench database (`pg_stat_activity`, every {conns['every_s']} s,"
            f" {conns['samples']} samples): median {conns['median']}, max {conns['max']}; bound"
            f" {conns['bound']} (gunicorn's pools {cfg['workers']} x {cfg['threads']}, the worker's"
            f" {conns['worker_bound']}). By state at the peak: {conns['at_max']}.",
        ]
        if load.get("errors"):
            lines += ["", "Errors:", ""] + [f"- {e}" for e in load["errors"][:20]]
        lines += [""]
    return "\n".join(lines) + "\n", targets
