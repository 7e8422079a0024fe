"""Benchmark: the residents' building search at 50,000 buildings on PostgreSQL (pg_trgm).

    .venv/bin/python bench/building_search.py [--buildings 50000] [--runs 50] [--explain]

Uses its own database (DATABASE_URL, by default postgres://postgres@127.0.0.1:5432/jk_bench_search,
created when missing), migrates it, loads the demo district (organization and grids: 295 grids,
about 3,900 buildings) and adds estates to every grid up to --buildings (bulk, with their search
keys, as the demo loader does). Then runs about twenty typical queries, interleaved, --runs
times each: grids.selectors.buildings_search as the form's autocomplete calls it (limit 10),
and the autocomplete view itself through Django's test client (no network). Prints p50 / p95 /
max per query and overall. Goal (issue 13): under 50 ms.
"""

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingkou.settings")
os.environ.setdefault("DEBUG", "true")  # development settings (the default is production)
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jk_bench_search")
os.environ.setdefault("LOG_LEVEL", "WARNING")


from bench.pgdb import ensure_database  # noqa: E402

ensure_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.management.base import BaseCommand, OutputWrapper  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from core.management.commands.load_demo import DEMO_SEED, DemoContext  # noqa: E402
from grids import demo as grids_demo  # noqa: E402
from grids.models import Building, Grid  # noqa: E402
from grids.selectors import buildings_search  # noqa: E402
from organization import demo as organization_demo  # noqa: E402

QUERIES = [
    # The four spellings of issue 13, and the exact one.
    "京口路新村5栋",
    "京口路新村五号楼",
    "京口路5号楼",
    "京口路新村 5号楼",
    "京口路新村5号楼",
    # An estate, a community, a road alone: many matches, numeric order.
    "京口路新村",
    "京口路社区",
    "京口",
    "东街",
    # Chinese numerals, units, villages, full-width, a typed province and city.
    "谏电二邨三号楼",
    "恒美嘉园一区十二栋",
    "宝塔山花园2幢",
    "东街社区谏电二邨3号楼2单元",
    "京口路新村５号楼",
    "江苏省镇江市京口区京口路新村5号楼",
    # Near misses (PostgreSQL's trigram similarity) and nothing at all.
    "京口新村5号楼",
    "京岘山新邨7号楼",
    "火星基地99号楼",
    "qwertyuiop",
    # A number alone: every estate's 5号楼.
    "5号楼",
]

# Estate names added per grid: a first character by the grid's number in its community, a
# second by the estate's, so that no two grids of a community share an estate.
ESTATE_FIRST = "东西南北中金银锦翠景怡馨华瑞泰康宁和安福"
ESTATE_SECOND = ["苑", "园", "庭", "府", "居", "城"]


def load(target: int) -> None:
    if not Grid.objects.exists():
        command = BaseCommand(stdout=io.StringIO())
        command.stdout = OutputWrapper(sys.stdout)
        ctx = DemoContext(command, DEMO_SEED)
        organization_demo.load(ctx)
        grids_demo.load(ctx)
    have = Building.objects.count()
    if have >= target:
        print(f"{have:,} buildings already there")
        return
    grids = list(Grid.objects.select_related("community").order_by("code"))
    rows: list[Building] = []
    missing = target - have
    per_grid = -(-missing // len(grids))
    for grid in grids:
        short = grid.name.split("第")[0]
        first = ESTATE_FIRST[(int(grid.code.rsplit("G", 1)[1]) - 1) % len(ESTATE_FIRST)]
        number = 0
        for second in ESTATE_SECOND:
            estate = f"{first}{second}"
            for n in range(1, 31):
                if number >= per_grid or len(rows) >= missing:
                    break
                number += 1
                building = Building(
                    name=f"{n}号楼",
                    address=f"{short}{estate}{n}号楼",
                    grid=grid,
                    lat=grid.center_lat or 32.2,
                    lng=grid.center_lng or 119.45,
                    households=24,
                )
                building.refresh_search_keys(grid.community.name)
                rows.append(building)
    Building.objects.bulk_create(rows, batch_size=5000)
    print(f"added {len(rows):,} buildings: {Building.objects.count():,} in all")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each query once")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("This benchmark needs PostgreSQL: DATABASE_URL=postgres://…")
    call_command("migrate", verbosity=0)
    load(args.buildings)
    with connection.cursor() as cursor:
        # As autovacuum would after a bulk load (this machine's PostgreSQL runs without it).
        cursor.execute("VACUUM ANALYZE grids_building")

    client = Client()
    url = reverse("resident_requests:buildings_lookup")
    search_ms: dict[str, list[float]] = {q: [] for q in QUERIES}
    view_ms: dict[str, list[float]] = {q: [] for q in QUERIES}
    found: dict[str, list[str]] = {}
    for q in QUERIES:  # warm-up: connection, plans, caches
        found[q] = [b.address for b in buildings_search(q)]
        client.get(url, {"q": q}, REMOTE_ADDR="127.0.0.1")
    for _ in range(args.runs):
        for q in QUERIES:
            started = time.perf_counter()
            list(buildings_search(q))
            search_ms[q].append((time.perf_counter() - started) * 1000)
            # The view's rate limit would stop a benchmark: each run comes from its own address.
            started = time.perf_counter()
            response = client.get(url, {"q": q}, REMOTE_ADDR=f"10.{_ % 250}.{len(q)}.1")
            view_ms[q].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code

    print(
        f"\n{Building.objects.count():,} buildings, {args.runs} runs per query "
        f"(PostgreSQL {connection.pg_version // 10000})\n"
    )
    print(f"{'query':<34}{'search p50/p95/max ms':>24}{'view p50/p95/max ms':>24}  first found")
    for q in QUERIES:
        s, v = search_ms[q], view_ms[q]
        first = found[q][0] if found[q] else "—"
        print(
            f"{q:<{34 - sum(1 for ch in q if ord(ch) > 0x2E80)}}"
            f"{percentile(s, 50):>10.1f}{percentile(s, 95):>7.1f}{max(s):>7.1f}"
            f"{percentile(v, 50):>10.1f}{percentile(v, 95):>7.1f}{max(v):>7.1f}"
            f"  {first} ({len(found[q])})"
        )
    every_s = [x for q in QUERIES for x in search_ms[q]]
    every_v = [x for q in QUERIES for x in view_ms[q]]
    print(
        f"\noverall: search p50 {statistics.median(every_s):.1f} ms, "
        f"p95 {percentile(every_s, 95):.1f} ms, max {max(every_s):.1f} ms; "
        f"view p50 {statistics.median(every_v):.1f} ms, p95 {percentile(every_v, 95):.1f} ms, "
        f"max {max(every_v):.1f} ms (goal: under 50 ms)"
    )
    if args.explain:
        for q in QUERIES:
            sql, params = buildings_search(q).query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
                print(f"\n--- {q}")
                print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
