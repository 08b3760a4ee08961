"""The payout computation over growing histories: it follows the period's events, not all history.

    .venv/bin/python -m bench.payouts            # haier: 1,000 EMCs, 4,000 MEs, 40,000 members
    .venv/bin/python -m bench.payouts --quick --points 0 100000       # a tenth of the sizes
    .venv/bin/python -m bench.payouts --points 0 1000000 3000000 10000000 --period 100000

It builds its own ecosystem in BENCH_DATABASE_URL (default rh_payouts_bench: dropped and
recreated), with bench.scoring's set-based loaders (triggers off, as fixture data): the
generator's haier scale (`synth.scales`: MEs, EMCs, partners, end users; its members per ME),
one approved monthly contract per EMC (target, base rate, two tiers, a cap), `--period` value
events in the current month (each credited to one of its EMC's four node MEs), then the history grown point by point to each size H (value
events over the year before the month; the period's events stay the same). Timed, each beside
a baseline from the same run:

- `payout_report_compute` of the current month (SQL aggregate of the period's legs, the rule per
  EMC and ME, lines bulk-inserted), at every H: flat in H is the goal; the baseline is a naive
  per-EMC loop doing the same work (one legs query per EMC, the same rule), whose figures must
  equal the service's (and the service's equal at every H: the period is the same);
- at every H, the CSV export of the report (all lines streamed), beside a plain `SELECT` of the same lines;
- a member's statement page (`GET /payouts/statement/` through Django's test client, logged in
  as that member) and its lines (`member_statement_lines`), beside a primary-key read of one line;
- peak resident memory.
"""

import argparse
import datetime as dt
import os
import sys
import time
from decimal import Decimal

from bench.harness import Figure, _recreate_database, _setup_django, peak_rss_mb, report

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/rh_payouts_bench"
POINTS = [0, 1_000_000, 3_000_000]
PERIOD_EVENTS = 100_000
LOAD_CHUNK = 1_000_000  # events per set-based load (the temp tables stay small)


def sizes_of(scale: str = "haier", divide: int = 1) -> dict:
    """The generator's named scale (one definition of the sizes), divided for a quick run."""
    from synth.scales import SCALES

    s = SCALES[scale]
    return {
        "emcs": s.emcs // divide,
        "mes": s.mes // divide,
        "partners": s.partners // divide,
        "users": s.end_users // divide,
        "members_per_me": s.members // s.mes,
    }


def _contracts_and_members(sizes: dict, start: dt.date) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from ledger.models import Contract, ContractTier
    from orgs.models import EMC, Membership, Microenterprise
    from orgs.roles import Role

    contracts = Contract.objects.bulk_create(
        Contract(
            emc_id=emc_id,
            version=1,
            status=Contract.Status.DRAFT,  # terms are added to drafts only (then approved below)
            effective_from=start,
            currency="CNY",
            period=Contract.Period.MONTH,
            platform_fee_pct=Decimal(0),
            target_minor=5_000_000,
            base_rate_pct=Decimal(10),
            floor_minor=1_000_000,
            cap_minor=1_500_000,
            holdback_pct=Decimal(10),
            holdback_days=30,
            min_payout_minor=10_000,
        )
        for emc_id in EMC.objects.values_list("id", flat=True)
    )
    ContractTier.objects.bulk_create(
        ContractTier(contract=c, threshold_pct=t, rate_pct=r)
        for c in contracts
        for t, r in ((Decimal(100), Decimal(20)), (Decimal(150), Decimal(30)))
    )
    Contract.objects.filter(pk__in=[c.pk for c in contracts]).update(status=Contract.Status.APPROVED)
    User = get_user_model()
    me_ids = list(Microenterprise.objects.values_list("id", flat=True))
    users = User.objects.bulk_create(
        User(username=f"member-{i:06d}") for i in range(len(me_ids) * sizes["members_per_me"])
    )
    Membership.objects.bulk_create(
        Membership(
            me_id=me_ids[i // sizes["members_per_me"]],
            user=u,
            weight=Decimal(10 + i % 5 * 10),
            joined_on=start,
        )
        for i, u in enumerate(users)
    )
    member_group, _made = Group.objects.get_or_create(name=Role.ME_MEMBER)
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=u.pk, group_id=member_group.pk) for u in users
    )


def _events_to_nodes() -> None:
    """bench.scoring's loader credits each EMC's lead ME; here an event goes to one of the EMC's
    node MEs (its value event's ME and its node leg), so every ME earns and has member lines."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ALTER TABLE bench_emc RENAME TO bench_emc_lead")
        cur.execute(
            "CREATE TABLE bench_emc AS SELECT row_number() OVER (ORDER BY e.emc_id, n.me_id) - 1 AS n, "
            "e.emc_id, n.me_id, e.scenario_id, e.solution_id "
            "FROM bench_emc_lead e JOIN orgs_emcnode n ON n.emc_id = e.emc_id"
        )
        cur.execute("ANALYZE bench_emc")


def _naive(report, sample: int | None = None) -> tuple[dict, int, int]:
    """The same accruals, one legs query per EMC (the baseline): of every EMC, or of `sample`
    EMCs spread evenly over them. Returns ({(EMC, ME): capped}, EMCs done, EMCs in all)."""
    from payouts import calc, selectors
    from payouts.services.compute import period_emcs

    period = report.period
    terms_by_emc = selectors.rule_terms_load(until=period.end, currency=period.currency)
    out = {}
    emcs = sorted(period_emcs(period.kind, period.start, period.end, period.currency, terms_by_emc).items())
    done = emcs if not sample or sample >= len(emcs) else emcs[:: len(emcs) // sample][:sample]
    for emc_id, (first, versions) in done:
        rows = selectors.period_legs(
            currency=period.currency, start=period.start, end=period.end, emc_ids=[emc_id]
        )
        data = selectors.legs_by_party(rows).get(emc_id)
        if not data:
            continue
        accruals, _v = calc.emc_accrue(
            terms_on=lambda day, versions=versions, first=first: (
                selectors.terms_in_force(versions, day) or first
            ),
            emc_days=data["emc_days"].items(),
            me_days=data["me_days"],
        )
        for me_id, acc in accruals.items():
            out[(emc_id, me_id)] = calc.cap_apply(acc.accrued_minor, first.cap_minor)
    return out, len(done), len(emcs)


def _median(fn, repeats: int = 3) -> float:
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return sorted(samples)[len(samples) // 2]


def _reads(report, history: int) -> list:
    """The report's CSV export and a member's statement (lines and page), timed on this history."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from config.exports import csv_lines
    from payouts import exports, selectors
    from payouts.models import PayoutLine

    figures = []
    csv_s = _median(lambda: sum(len(x) for x in csv_lines(exports.report_csv_rows(report))))

    def plain():
        with connection.cursor() as cur:
            cur.execute("SELECT * FROM payouts_payoutline WHERE report_id = %s ORDER BY key", [report.pk])
            cur.fetchall()

    plain_s = _median(plain)
    figures.append(
        Figure(
            f"CSV export, history {history:,}",
            round(csv_s, 3),
            "s",
            baseline=round(plain_s, 3),
            baseline_name="plain SELECT of the lines",
            target="< 10 s",
            met=csv_s < 10,
        )
    )
    member = PayoutLine.objects.filter(report=report, kind="member").values_list("user_id", "pk").first()
    user = get_user_model().objects.get(pk=member[0])
    stmt_s = _median(lambda: list(selectors.member_statement_lines(user=user)[:60]), repeats=11)
    pk_s = _median(lambda: PayoutLine.objects.get(pk=member[1]), repeats=11)
    figures.append(
        Figure(
            f"member statement lines, history {history:,}",
            round(stmt_s * 1000, 2),
            "ms",
            baseline=round(pk_s * 1000, 2),
            baseline_name="one line by primary key",
            target="< 200 ms",
            met=stmt_s < 0.2,
        )
    )
    client = Client()
    client.force_login(user)
    page = client.get(reverse("payouts:statement"))
    assert page.status_code == 200 and b'data-testid="member-line"' in page.content, page.status_code

    def statement_page():
        assert client.get(reverse("payouts:statement")).status_code == 200

    page_s = _median(statement_page, repeats=11)
    figures.append(
        Figure(
            f"member statement page, history {history:,}",
            round(page_s * 1000, 2),
            "ms",
            baseline=round(stmt_s * 1000, 2),
            baseline_name="its lines' read",
            target="< 200 ms",
            met=page_s < 0.2,
        )
    )
    return figures


def _load(*, count, first_day, days, recorded, users, seed) -> None:
    """`count` events by bench.scoring's loader, in chunks of LOAD_CHUNK (each its own seed)."""
    from bench.scoring import load_events

    for k, done in enumerate(range(0, count, LOAD_CHUNK)):
        load_events(
            count=min(LOAD_CHUNK, count - done),
            first_day=first_day,
            days=days,
            recorded=recorded,
            users=users,
            seed=seed * 1000 + k,
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, nargs="*", help="history sizes (events before the period)")
    parser.add_argument("--period", type=int, default=PERIOD_EVENTS, help="events in the period")
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    parser.add_argument(
        "--naive-emcs",
        type=int,
        default=100,
        help="EMCs the naive loop runs on (its time scaled to all EMCs; 0: every EMC)",
    )
    args = parser.parse_args(argv)
    points = sorted(args.points if args.points is not None else POINTS)
    sizes = sizes_of(divide=10 if args.quick else 1)
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    _recreate_database(url)
    _setup_django(url)
    from django.conf import settings
    from django.utils import timezone

    from bench.scoring import build_org, empty_tables, rebuild_account_days
    from payouts import services
    from payouts.models import PayoutLine, PayoutReport

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    today = timezone.localdate()
    month_start = today.replace(day=1)
    days_in = (today - month_start).days + 1
    print(f"payouts bench: {sizes}, histories {points}, {args.period:,} events in the period", flush=True)
    build_org(sizes)
    _events_to_nodes()
    _contracts_and_members(sizes, month_start - dt.timedelta(days=400))
    meta = {"sizes": sizes, "points": points, "period_events": args.period, "naive_emcs": args.naive_emcs}
    figures, base, first_lines, loaded = [], None, None, 0
    recorded = timezone.now() - dt.timedelta(days=1)
    users = sizes["users"]
    _load(count=args.period, first_day=month_start, days=days_in, recorded=recorded, users=users, seed=100)
    for i, history in enumerate(points):
        empty_tables(
            (
                "payouts_payoutadjustment",
                "payouts_payoutinquirymessage",
                "payouts_payoutinquiry",
                "payouts_payoutline",
                "payouts_payoutapproval",
                "payouts_payoutreport",
                "payouts_payoutperiod",
            )
        )
        t = time.perf_counter()
        _load(
            count=history - loaded,
            first_day=month_start - dt.timedelta(days=365),
            days=365,
            recorded=recorded,
            users=users,
            seed=1 + i,
        )
        loaded = history
        rebuild_account_days()
        print(f"  history {history:,} loaded in {time.perf_counter() - t:.0f}s", flush=True)
        report = services.report_for(kind="month", on=today, currency="CNY")
        t = time.perf_counter()
        services.payout_report_compute(report=report)
        compute_s = time.perf_counter() - t
        t = time.perf_counter()
        naive, done, of = _naive(report, args.naive_emcs)
        naive_s = (time.perf_counter() - t) * of / done
        got = {
            (line.emc_id, line.me_id): line.capped_minor
            for line in PayoutLine.objects.filter(report=report, kind="me").only(
                "emc_id", "me_id", "capped_minor"
            )
        }
        assert {k: v for k, v in got.items() if k in naive} == naive, (
            "the naive loop disagrees with the service"
        )
        first_lines = first_lines or got
        assert got == first_lines, "the same period computed differently over a longer history"
        lines = PayoutLine.objects.filter(report=report).count()
        base = base or compute_s
        figures.append(
            Figure(
                f"payout compute, history {history:,}",
                round(compute_s, 2),
                "s",
                baseline=round(naive_s, 2),
                baseline_name="naive per-EMC loop"
                + ("" if done == of else f" ({done} of {of:,} EMCs, time x{of / done:g})"),
                target="< 60 s, flat in history",
                met=compute_s < 60 and compute_s < 1.5 * base + 0.5,
                notes={"lines": lines, "vs no history": round(compute_s / base, 2)},
            )
        )
        print(
            f"  history {history:,}: compute {compute_s:.2f}s ({lines:,} lines), "
            f"naive {naive_s:.2f}s ({done} of {of} EMCs, scaled)",
            flush=True,
        )
        reads = _reads(PayoutReport.objects.select_related("period").get(pk=report.pk), history)
        figures += reads
        print(
            "  " + "; ".join(f"{f.name} {f.value} {f.unit} (beside {f.baseline})" for f in reads), flush=True
        )
        print(f"  peak memory so far {peak_rss_mb():.0f} MiB", flush=True)
    figures.append(
        Figure("peak memory", round(peak_rss_mb()), "MiB", target="< 1024", met=peak_rss_mb() < 1024)
    )
    print(report_figures(figures, meta))
    return 0 if all(f.met is not False for f in figures) else 1


def report_figures(figures, meta) -> str:
    return report(figures, meta=meta, filename="payouts.json")


if __name__ == "__main__":
    sys.exit(main())
