"""Benchmark: the public map of problems (/problems/ and its GeoJSON) on PostgreSQL.

    .venv/bin/python bench/problems.py [--requests 200000] [--public 0.3] [--approved 0.5] [--runs 20]

Uses its own database (DATABASE_URL, by default postgres://postgres@127.0.0.1:5432/jk_bench_problems,
created when missing), migrates it, loads the demo district when it is not there and fills the
requests up to --requests with `manage.py seed_scale` (spread over the past year). Then marks a
share of them as allowed by their resident (--public) and, of those, a share approved by staff
(--approved), and measures through Django's test client (no network), interleaved, --runs times
each: the page and the GeoJSON for the whole district, for one street, and for one street's
problems resolved in the last 30 days (the month the map keeps resolved ones). Prints the number
of rows matched, the queries per answer and p50 / p95 per URL.
"""

import argparse
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

from bench.pgdb import ensure_database  # noqa: E402

ensure_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from organization.models import OrgUnit, UnitKind  # noqa: E402
from resident_requests import selectors  # noqa: E402
from resident_requests.models import ResidentRequest  # noqa: E402

TABLE = "resident_requests_residentrequest"


def fill(target: int, public: float, approved: float) -> None:
    have = ResidentRequest.objects.count()
    if have < target:
        print(f"requests: {have:,}; manage.py seed_scale --requests {target:,} --total …")
        call_command("seed_scale", requests=target, total=True)
    with connection.cursor() as cursor:
        # Deterministic shares (by id), so a second run measures the same rows.
        cursor.execute(
            f"UPDATE {TABLE} SET public_allowed = (id %% 1000) < %s, "  # noqa: S608
            f"public_approved_at = CASE WHEN (id %% 1000) < %s THEN created_at END",
            [int(public * 1000), int(public * approved * 1000)],
        )
        cursor.execute(f"VACUUM ANALYZE {TABLE}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--public", type=float, default=0.3)
    parser.add_argument("--approved", type=float, default=0.5)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/problems.py measures PostgreSQL: set DATABASE_URL=postgres://…")

    call_command("migrate", verbosity=0)
    if not OrgUnit.objects.filter(code="JK").exists():
        call_command("load_demo", verbosity=0)
    started = time.monotonic()
    fill(args.requests, args.public, args.approved)
    print(f"filled in {time.monotonic() - started:.0f} s")

    street = OrgUnit.objects.filter(kind=UnitKind.STREET).order_by("code").first()
    page, feed = reverse("resident_requests:problems"), reverse("api-problems-geojson")
    cases = {
        "district": {},
        "street": {"street": street.pk},
        "street, resolved in 30 days": {"street": street.pk, "status": "resolved"},
    }
    client = Client()
    urls = [
        (f"{name} {label}", url, query)
        for name, query in cases.items()
        for label, url in (("page", page), ("geojson", feed))
    ]
    for label, _url, query in urls[::2]:
        matched = selectors.problems_public(**_selector_kwargs(query)).count()
        print(f"{label.rsplit(' ', 1)[0]}: {matched:,} problems match")
    times: dict[str, list[float]] = {label: [] for label, _u, _q in urls}
    queries: dict[str, int] = {}
    for run in range(args.runs + 1):  # the first run warms the caches and is not counted
        for label, url, query in urls:
            cache.clear()  # the anonymous API throttle would refuse after 60 calls a minute
            with CaptureQueriesContext(connection) as captured:
                t0 = time.perf_counter()
                response = client.get(url, query)
                elapsed = time.perf_counter() - t0
            assert response.status_code == 200, (label, response.status_code)
            if run:
                times[label].append(elapsed * 1000)
                queries[label] = len(captured.captured_queries)
    print(f"{ResidentRequest.objects.count():,} requests; {args.runs} runs each")
    for label, values in times.items():
        print(
            f"  {label:42} {queries[label]:2d} queries  p50 {statistics.median(values):7.1f} ms"
            f"  p95 {percentile(values, 0.95):7.1f} ms"
        )


def _selector_kwargs(query: dict) -> dict:
    kwargs = {"status": query.get("status", "")}
    if "street" in query:
        kwargs["street"] = OrgUnit.objects.get(pk=query["street"])
    return kwargs


if __name__ == "__main__":
    main()
