"""Benchmark of the station planner (dashboards.planning.station_plan) on one street.

    .venv/bin/python bench/station_planner.py [--buildings 30000] [--stations 60] [--runs 3]

Builds bench/coverage.py's district (6 streets over 20 km × 20 km, buildings spread over all of
it) in a throwaway SQLite database, then times the planner for the first street (a sixth of
the buildings) with few stations, so that most buildings are candidates. No requests are made,
so the "requests nearby" count is timed on an empty set.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=30_000)
    parser.add_argument("--stations", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="jk-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingkou.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from coverage import build

    from dashboards import planning
    from organization.models import OrgUnit, UnitKind

    data = build(args.buildings, args.stations)
    street = OrgUnit.objects.filter(parent=data["district"], kind=UnitKind.STREET).first()
    timings = []
    for _ in range(args.runs + 1):  # the first run warms up
        started = time.perf_counter()
        plan = planning.station_plan(street)
        timings.append(time.perf_counter() - started)
    timings = timings[1:]
    summary = plan.summary
    print(
        f"street: {summary.buildings:,} buildings, {summary.uncovered_buildings:,} beyond 15 "
        f"minutes ({summary.household_percent}% of households covered)"
    )
    for c in plan.candidates:
        print(f"  {c.rank:2} +{c.households_gained:5} households → {c.household_percent_after}%")
    print(
        f"station_plan: best {min(timings) * 1000:.0f} ms, "
        f"median {statistics.median(timings) * 1000:.0f} ms of {args.runs} runs"
    )
    connection.close()
    tmp.cleanup()


if __name__ == "__main__":
    main()
