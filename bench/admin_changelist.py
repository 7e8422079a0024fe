"""Server time of the resident-request changelist in the admin, on a big table (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingkou .venv/bin/python manage.py load_demo
    DATABASE_URL=… .venv/bin/python bench/admin_changelist.py --requests 1000000

Seeds the table up to --requests rows with `manage.py seed_scale` if it has fewer, then times
GET /admin/resident_requests/residentrequest/ for the demo users (the community user is the goal:
p95 under 250 ms) through Django's test client, in-process: what is measured is the server's work
(middleware, queries, template), without the network.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingkou.settings")
os.environ.setdefault("DEBUG", "true")  # development settings (the default is production)

from bench.pgdb import ensure_database  # noqa: E402

ensure_database(os.environ.get("DATABASE_URL", ""))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from resident_requests.models import ResidentRequest  # noqa: E402

GOAL_MS = 250
URL = "/admin/resident_requests/residentrequest/"
CASES = [
    ("community", "", "community staff, default list"),
    ("community", "?status=submitted", "community staff, status filter"),
    ("community", "?overdue=yes", "community staff, overdue filter"),
    ("community", "?q=0000", "community staff, phone search (last 4)"),
    ("gridleader", "", "grid leader, default list"),
    ("street", "", "street staff, default list"),
    ("orgdept", "", "district (organization department), default list"),
    ("dept", "", "department staff, default list"),
]


def percentile(values, share):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(share * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--all", action="store_true", help="also time the other users")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL: set DATABASE_URL=postgres://…")
    settings.ALLOWED_HOSTS = ["*"]
    existing = ResidentRequest.objects.count()
    if existing < args.requests:
        print(f"Seeding {args.requests - existing:,} requests (table has {existing:,})…")
        call_command("seed_scale", requests=args.requests, total=True)
    total = ResidentRequest.objects.count()
    print(f"{total:,} resident requests in the table.")
    User = get_user_model()
    failed = False
    for username, query, label in CASES if args.all else CASES[:4]:
        user = User.objects.filter(username=username).first()
        if user is None:
            print(f"  (no user {username!r}: run load_demo)")
            continue
        client = Client()
        client.force_login(user)
        response = client.get(URL + query)  # warm-up: connection, caches
        assert response.status_code == 200, response.status_code
        times, cpu = [], []
        for _ in range(args.runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(URL + query)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get(URL + query)
        db_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
        rows = response.content.decode().count('name="_selected_action"')
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        mark = ""
        if username == "community" and not query:
            mark = "  ✓ goal" if p95 < GOAL_MS else "  ✗ over the goal"
            failed = p95 >= GOAL_MS
        print(
            f"{label:<50} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   "
            f"(Python CPU p50 {statistics.median(cpu):5.1f} ms, "
            f"{len(queries.captured_queries):2d} queries {db_ms:5.1f} ms), {rows} rows{mark}"
        )
    print(f"Goal: the community user's changelist under {GOAL_MS} ms (p95) on {total:,} requests.")
    load = os.getloadavg()[0]
    print(f"Load average while measuring: {load:.1f} on {os.cpu_count()} CPUs", end="")
    print(
        " (busy machine: wall times include waiting for a CPU)."
        if load > (os.cpu_count() or 1)
        else "."
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
