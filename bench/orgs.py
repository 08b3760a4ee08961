"""Organization list pages and APIs at Haier scale, against the same pages on a small ecosystem.

    .venv/bin/python -m bench.orgs            # 4,000 MEs, 1,000 EMCs, 10,000 partners
    .venv/bin/python -m bench.orgs --quick    # a tenth of that

Builds the small ecosystem first (40 MEs, 10 EMCs, 100 partners), times every page, then grows
it to the full size in the same database and times the same pages again. Pages that paginate
and keep a constant number of queries should cost about the same at both sizes: the ratio
column says how close they come. Uses BENCH_DATABASE_URL like bench.run (dropped and recreated).
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from decimal import Decimal

from bench.harness import DEFAULT_URL, Figure, _recreate_database, _setup_django, report

PAGES = [
    ("partner directory", "/partners/"),
    ("partner directory, filtered", "/partners/?state=active&tier=gold&industry=C"),
    ("partner directory, search", "/partners/?q=partner-0099"),
    ("ME list", "/mes/"),
    ("EMC list", "/emcs/"),
    ("network graph data", "/network/data/"),
    ("API partners", "/api/partners/"),
    ("API MEs", "/api/mes/"),
    ("API EMCs", "/api/emcs/"),
]


def grow(*, mes: int, emcs: int, partners: int, start_at: int) -> None:
    """Add MEs, EMCs (with 4 node seats each) and partners (3 participations each) in bulk."""
    from orgs import models as org

    kind = org.MEKind.objects.get(code="node")
    tiers = list(org.PartnerTier.objects.all())
    roles = list(org.PartnerRole.objects.all())
    industries = list(org.Industry.objects.filter(level="class")[:200])
    day = dt.date(2024, 1, 1)
    new_mes = org.Microenterprise.objects.bulk_create(
        org.Microenterprise(code=f"me-{i:05d}", name=f"ME {i}", kind=kind, status="active", founded_on=day)
        for i in range(start_at, start_at + mes)
    )
    new_emcs = org.EMC.objects.bulk_create(
        org.EMC(
            code=f"emc-{i:05d}",
            name=f"EMC {i}",
            kind="experience" if i % 2 else "solution",
            lead_me=new_mes[i % len(new_mes)],
            formed_on=day,
        )
        for i in range(start_at, start_at + emcs)
    )
    org.EMCNode.objects.bulk_create(
        org.EMCNode(emc=e, me=new_mes[(k * 4 + j) % len(new_mes)], share_weight=Decimal(25), joined_on=day)
        for k, e in enumerate(new_emcs)
        for j in range(4)
    )
    new_partners = org.Partner.objects.bulk_create(
        org.Partner(
            code=f"partner-{i:05d}",
            name=f"Partner {i}",
            state=["active", "probation", "on_watch"][i % 3],
            state_since=day,
            applied_on=day,
            tier=tiers[i % len(tiers)],
        )
        for i in range(start_at, start_at + partners)
    )
    org.Partner.roles.through.objects.bulk_create(
        org.Partner.roles.through(partner=p, partnerrole=roles[i % len(roles)])
        for i, p in enumerate(new_partners)
    )
    org.Partner.industries.through.objects.bulk_create(
        org.Partner.industries.through(partner=p, industry=industries[i % len(industries)])
        for i, p in enumerate(new_partners)
    )
    org.EMCParticipation.objects.bulk_create(
        org.EMCParticipation(emc=new_emcs[(i * 3 + j) % len(new_emcs)], partner=p, started_on=day)
        for i, p in enumerate(new_partners)
        for j in range(3)
    )
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def time_pages(client, repeats: int) -> dict[str, tuple[float, int]]:
    """Median milliseconds and query count of each page."""
    from django.db import connection

    results = {}
    for name, url in PAGES:
        queries = []  # Django clears connection.queries at each request: count with a wrapper

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            client.get(url)
            samples.append(time.perf_counter() - start)
        results[name] = (statistics.median(samples) * 1000, len(queries))
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1
    _recreate_database(args.database_url)
    _setup_django(args.database_url)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    admin = get_user_model().objects.create_user("bench-admin", password="x")
    admin.groups.add(Group.objects.get(name="platform_admin"))
    client = Client()
    client.force_login(admin)

    print("small ecosystem: 40 MEs, 10 EMCs, 100 partners")
    grow(mes=40, emcs=10, partners=100, start_at=0)
    small = time_pages(client, repeats=15)
    full = (4000 // scale, 1000 // scale, 10_000 // scale)
    print(f"growing to {full[0]:,} MEs, {full[1]:,} EMCs, {full[2]:,} partners")
    grow(mes=full[0] - 40, emcs=full[1] - 10, partners=full[2] - 100, start_at=100_000)
    large = time_pages(client, repeats=15)

    figures = []
    for name, _url in PAGES:
        (large_ms, large_q), (small_ms, small_q) = large[name], small[name]
        figures.append(
            Figure(
                f"{name} ({large_q} queries; {small_q} when small)",
                large_ms,
                "ms",
                baseline=small_ms,
                baseline_name="small ecosystem",
                target="same queries",
                met=large_q == small_q,
            )
        )
    print(report(figures, meta={"bench": "orgs", "scale": full}, filename="orgs.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
