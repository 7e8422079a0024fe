"""Benchmark: the dashboard's heat layer (requests per building) on PostgreSQL.

    .venv/bin/python bench/heat_map.py [--runs 10]

Reads the database bench/problems.py fills (DATABASE_URL, by default
postgres://postgres@127.0.0.1:5432/jk_bench_problems; run that first, e.g. with
--requests 1000000). Times dashboards.selectors.received_by_building, the grouped query behind the
heat layer (with the unit's grids, read first as the page does), interleaved: the whole district over the last year,
one street over the last 30 days, and the district for one top-level category over the year.
Prints the requests in the table, the buildings returned and p50 / p95 per case.
Goal (issue 17): p50 under 500 ms at 1,000,000 requests.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingkou.settings")
os.environ.setdefault("DEBUG", "true")  # development settings (the default is production)
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jk_bench_problems")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from dashboards.selectors import (  # noqa: E402
    RequestFilter,
    grids_with_child,
    received_by_building,
)
from organization.models import OrgUnit, UnitKind  # noqa: E402
from resident_requests.models import Category, ResidentRequest  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL: set DATABASE_URL=postgres://…")
    total = ResidentRequest.objects.count()
    if total < 1000:
        sys.exit("Fill the database first: .venv/bin/python bench/problems.py --requests 1000000")
    today = timezone.localdate()
    year = today - datetime.timedelta(days=365)
    district = OrgUnit.objects.filter(kind=UnitKind.DISTRICT).first()
    street = OrgUnit.objects.filter(kind=UnitKind.STREET).order_by("pk").first()
    top = Category.objects.filter(parent__isnull=True).order_by("pk").first()
    cases = [
        ("district, last year", district, RequestFilter(start=year, end=today, source="live")),
        (
            "one street, last 30 days",
            street,
            RequestFilter(start=today - datetime.timedelta(days=30), end=today, source="live"),
        ),
        (
            f"district, category {top.name}, last year",
            district,
            RequestFilter(start=year, end=today, category_id=top.pk, source="live"),
        ),
    ]
    times: dict[str, list[float]] = {label: [] for label, _unit, _flt in cases}
    rows: dict[str, int] = {}
    for _ in range(args.runs):
        for label, unit, flt in cases:
            started = time.perf_counter()
            # As the dashboard calls it: with the unit's grids, read once per page.
            grid_ids = [grid["pk"] for grid in grids_with_child(unit)]
            rows[label] = len(received_by_building(unit, flt, grid_ids))
            times[label].append(time.perf_counter() - started)
    print(f"{total:,} requests in the table; {args.runs} runs each, interleaved")
    for label, values in times.items():
        values.sort()
        p50 = statistics.median(values) * 1000
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))] * 1000
        goal = "met" if p50 < 500 else "NOT met"
        print(f"  {label}: {rows[label]} buildings, p50 {p50:.0f} ms, p95 {p95:.0f} ms ({goal})")


if __name__ == "__main__":
    main()
