"""The payout computation over growing histories: it follows the period's events, not all history.

    .venv/bin/python -m bench.payouts                    # 250 EMCs, 1,000 MEs; 20,000 events in the period
    .venv/bin/python -m bench.payouts --points 0 100000 300000 --period 20000

It builds its own ecosystem in BENCH_DATABASE_URL (default rh_payouts_bench: dropped and
recreated), with bench.scoring's set-based loaders (triggers off, as fixture data): MEs, EMCs,
partners, 5 members per ME, one approved monthly contract per EMC (target, base rate, two tiers,
a cap), then for each history size H: H value events over the year before the current month and
`--period` events in it. Timed, each beside a baseline from the same run:

- `payout_report_compute` of the current month (SQL aggregate of the period's legs, the rule per
  EMC and ME, lines bulk-inserted), at every H: flat in H is the goal; the baseline is a naive
  per-EMC loop doing the same work (one legs query per EMC, the same rule), whose figures must
  equal the service's;
- the CSV export of the report (all lines streamed), beside a plain `SELECT` of the same lines;
- a member's statement (`member_statement_lines`), beside a primary-key read of one line;
- peak resident memory.
"""

import argparse
import datetime as dt
import os
import sys
import time
from decimal import Decimal

from bench.harness import Figure, peak_rss_mb, report
from bench.run import _recreate_database, _setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/rh_payouts_bench"
SIZES = {"emcs": 250, "mes": 1000, "partners": 2500, "users": 50_000, "members_per_me": 5}
POINTS = [0, 100_000, 300_000]
PERIOD_EVENTS = 20_000


def _contracts_and_members(sizes: dict, start: dt.date) -> None:
    from django.contrib.auth import get_user_model

    from ledger.models import Contract, ContractTier
    from orgs.models import EMC, Membership, Microenterprise

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


def _naive(report) -> dict:
    """The same accruals, one legs query per EMC (the baseline)."""
    from payouts import calc, selectors
    from payouts.services.compute import _emcs_of

    period = report.period
    terms_by_emc = selectors.rule_terms_load(until=period.end, currency=period.currency)
    out = {}
    for emc_id, (first, versions) in _emcs_of(
        period.kind, period.start, period.end, period.currency, terms_by_emc
    ).items():
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
    return out


def _median(fn, repeats: int = 3) -> float:
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return sorted(samples)[len(samples) // 2]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, nargs="*", help="history sizes (events before the period)")
    parser.add_argument("--period", type=int, default=PERIOD_EVENTS, help="events in the period")
    args = parser.parse_args(argv)
    points = args.points if args.points is not None else POINTS
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    _recreate_database(url)
    _setup_django(url)
    from django.db import connection
    from django.utils import timezone

    from bench.scoring import LEDGER_TABLES, build_org, empty_tables, load_events, rebuild_account_days
    from config.exports import csv_lines
    from payouts import exports, selectors, services
    from payouts.models import PayoutLine, PayoutReport

    today = timezone.localdate()
    month_start = today.replace(day=1)
    days_in = (today - month_start).days + 1
    print(f"payouts bench: {SIZES}, histories {points}, {args.period:,} events in the period", flush=True)
    build_org(SIZES)
    _contracts_and_members(SIZES, month_start - dt.timedelta(days=400))
    figures, meta, base = [], {"sizes": SIZES, "points": points, "period_events": args.period}, None
    for i, history in enumerate(points):
        empty_tables(
            (
                *LEDGER_TABLES,
                "payouts_payoutinquirymessage",
                "payouts_payoutinquiry",
                "payouts_payoutline",
                "payouts_payoutapproval",
                "payouts_payoutreport",
                "payouts_payoutperiod",
            )
        )
        recorded = timezone.now() - dt.timedelta(days=1)
        load_events(
            count=history,
            first_day=month_start - dt.timedelta(days=365),
            days=365,
            recorded=recorded,
            users=SIZES["users"],
            seed=i,
        )
        load_events(
            count=args.period,
            first_day=month_start,
            days=days_in,
            recorded=recorded,
            users=SIZES["users"],
            seed=100 + i,
        )
        rebuild_account_days()
        report = services.report_for(kind="month", on=today, currency="CNY")
        t = time.perf_counter()
        services.payout_report_compute(report=report)
        compute_s = time.perf_counter() - t
        t = time.perf_counter()
        naive = _naive(report)
        naive_s = time.perf_counter() - t
        got = {
            (line.emc_id, line.me_id): line.capped_minor
            for line in PayoutLine.objects.filter(report=report, kind="me").only(
                "emc_id", "me_id", "capped_minor"
            )
        }
        assert {k: v for k, v in got.items() if k in naive} == naive, (
            "the naive loop disagrees with the service"
        )
        lines = PayoutLine.objects.filter(report=report).count()
        base = base or compute_s
        figures.append(
            Figure(
                f"payout compute, history {history:,}",
                round(compute_s, 2),
                "s",
                baseline=round(naive_s, 2),
                baseline_name="naive per-EMC loop",
                target="< 60 s, flat in history",
                met=compute_s < 60 and compute_s < 1.5 * base + 0.5,
                notes={"lines": lines, "vs no history": round(compute_s / base, 2)},
            )
        )
        print(
            f"  history {history:,}: compute {compute_s:.2f}s ({lines:,} lines), naive {naive_s:.2f}s",
            flush=True,
        )
    # the CSV and the statement, on the last history
    report = PayoutReport.objects.select_related("period").get()
    csv_s = _median(lambda: sum(len(x) for x in csv_lines(exports.report_csv_rows(report))))

    def plain():
        with connection.cursor() as cur:
            cur.execute("SELECT * FROM payouts_payoutline WHERE report_id = %s ORDER BY key", [report.pk])
            cur.fetchall()

    plain_s = _median(plain)
    figures.append(
        Figure(
            "CSV export",
            round(csv_s, 3),
            "s",
            baseline=round(plain_s, 3),
            baseline_name="plain SELECT of the lines",
            target="< 10 s",
            met=csv_s < 10,
        )
    )
    member = PayoutLine.objects.filter(report=report, kind="member").values_list("user_id", "pk").first()
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=member[0])
    stmt_s = _median(lambda: list(selectors.member_statement_lines(user=user)[:60]), repeats=11)
    pk_s = _median(lambda: PayoutLine.objects.get(pk=member[1]), repeats=11)
    figures.append(
        Figure(
            "member statement lines",
            round(stmt_s * 1000, 2),
            "ms",
            baseline=round(pk_s * 1000, 2),
            baseline_name="one line by primary key",
            target="< 200 ms",
            met=stmt_s < 0.2,
        )
    )
    figures.append(
        Figure("peak memory", round(peak_rss_mb()), "MiB", target="< 1024", met=peak_rss_mb() < 1024)
    )
    print(report_figures(figures, meta))
    return 0 if all(f.met is not False for f in figures) else 1


def report_figures(figures, meta) -> str:
    return report(figures, meta=meta, filename="payouts.json")


if __name__ == "__main__":
    sys.exit(main())
