"""MEs with members from a CSV (orgs.services.mes_import_csv) against creating the same MEs one
service call at a time (orgs.services.me_create with its members), in the same run.

    .venv/bin/python -m bench.me_import            # 4,000 MEs, 2 members each (8,000 people)
    .venv/bin/python -m bench.me_import --quick    # 400 MEs

The baseline creates a tenth of the MEs (it is slow) and its rate is compared. Uses
BENCH_DATABASE_URL like bench.run (dropped and recreated).
"""

import argparse
import os
import sys

from bench.harness import Figure, Timer, rate, report
from bench.run import DEFAULT_URL, _recreate_database, _setup_django


def _people(n: int) -> list:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    User.objects.bulk_create([User(username=f"hr-{i:06d}", password="!") for i in range(n)], batch_size=2000)
    return list(User.objects.filter(username__startswith="hr-").order_by("username"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    mes = 400 if args.quick else 4000
    _recreate_database(args.database_url)
    _setup_django(args.database_url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orgs import services
    from orgs.models import MEKind

    people = _people(2 * mes + 2 * (mes // 10))
    lines = ["me_code,me_name,me_kind,leader,member,weight"]
    for i in range(mes):
        a, b = people[2 * i].username, people[2 * i + 1].username
        lines += [f"csv-{i:05d},ME {i},node,{a},{a},60", f"csv-{i:05d},ME {i},node,{a},{b},40"]
    text = "\n".join(lines) + "\n"

    with Timer() as bulk, CaptureQueriesContext(connection) as queries:
        services.mes_import_csv(actor=None, text=text)
    node = MEKind.objects.get(code="node")
    base_n = mes // 10
    rest = people[2 * mes :]
    with Timer() as loop:
        for i in range(base_n):
            a, b = rest[2 * i], rest[2 * i + 1]
            services.me_create(
                actor=None,
                code=f"one-{i:05d}",
                name=f"ME {i}",
                kind=node,
                leader=a,
                members=[{"user": a, "weight": 60}, {"user": b, "weight": 40}],
            )
    figures = [
        Figure(
            f"CSV import, {mes:,} MEs with 2 members ({len(queries.captured_queries)} queries in all)",
            rate(mes, bulk.seconds),
            "MEs/s",
            baseline=rate(base_n, loop.seconds),
            baseline_name="one me_create per ME",
            notes={"seconds": round(bulk.seconds, 2), "baseline_mes": base_n},
        )
    ]
    print(report(figures, meta={"bench": "me_import", "mes": mes}, filename="me_import.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
