"""Benchmark of the 15-minute service circle: 10,000 buildings × 500 stations.

    .venv/bin/python bench/coverage.py [--buildings 10000] [--stations 500] [--runs 5]

Builds a throwaway SQLite database in a temporary folder (or uses DATABASE_URL if it is set
to a database made for benchmarks: the data is added to it, not cleaned up), then times:
  - nearest station only (numpy, data already in memory),
  - building_walking_minutes (reading buildings and stations from the database + numpy),
  - coverage_report for the district (the above, per street and per community, uncovered list).
The goal for coverage_report is under 1 s on the project's 2-core machine.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=10_000)
    parser.add_argument("--stations", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    tmp = None
    if not os.environ.get("DATABASE_URL"):
        tmp = tempfile.TemporaryDirectory(prefix="jk-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingkou.settings")
    os.environ.setdefault("DEBUG", "true")  # development settings (the default is production)
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    print(f"database: {connection.vendor}; migrating…", flush=True)
    call_command("migrate", verbosity=0)

    data = build(args.buildings, args.stations)
    timings = measure(data, args.runs)
    print(
        f"\n{args.buildings:,} buildings × {args.stations:,} stations, "
        f"best / median of {args.runs} runs:"
    )
    for name, values in timings.items():
        print(
            f"  {name:<34} {min(values) * 1000:8.1f} ms  {statistics.median(values) * 1000:8.1f} ms"
        )
    best = min(timings["coverage_report(district)"])
    verdict = "meets" if best < 1.0 else "MISSES"
    print(f"coverage_report: {best:.3f} s — {verdict} the goal of < 1 s")
    if tmp:
        connection.close()
        tmp.cleanup()


def build(n_buildings: int, n_stations: int):
    import numpy as np

    from grids.models import Building, Grid, ServiceStation, StationLevel
    from organization import services as org
    from organization.models import UnitKind

    rng = np.random.default_rng(20220429)
    started = time.perf_counter()
    suffix = f"{time.time_ns() % 10**8}"
    district = org.orgunit_create(
        kind=UnitKind.DISTRICT, name="基准区", code=f"B{suffix}", parent=None
    )
    communities, grids = [], []
    for s in range(6):
        street = org.orgunit_create(
            kind=UnitKind.STREET, name=f"基准街道{s}", code=f"B{suffix}-S{s}", parent=district
        )
        for c in range(4):
            community = org.orgunit_create(
                kind=UnitKind.COMMUNITY,
                name=f"基准社区{s}-{c}",
                code=f"{street.code}-C{c}",
                parent=street,
            )
            communities.append(community)
            for g in range(5):
                unit = org.orgunit_create(
                    kind=UnitKind.GRID, name=f"网格{s}-{c}-{g}", code=f"{community.code}-G{g}",
                    parent=community,
                )  # fmt: skip
                grids.append(
                    Grid.objects.create(
                        code=unit.code, name=unit.name, community=community, unit=unit
                    )
                )
    # Buildings and stations over a 20 km × 20 km square around Jingkou's centre.
    lat = 32.2 + rng.uniform(-0.09, 0.09, n_buildings)
    lng = 119.45 + rng.uniform(-0.106, 0.106, n_buildings)
    Building.objects.bulk_create(
        [
            Building(
                name=f"{i}号楼",
                address=f"基准小区{i}号楼",
                grid=grids[i % len(grids)],
                lat=float(lat[i]),
                lng=float(lng[i]),
                households=int(rng.integers(10, 60)),
            )
            for i in range(n_buildings)
        ],
        batch_size=2000,
    )
    s_lat = 32.2 + rng.uniform(-0.09, 0.09, n_stations)
    s_lng = 119.45 + rng.uniform(-0.106, 0.106, n_stations)
    ServiceStation.objects.bulk_create(
        [
            ServiceStation(
                name=f"基准服务站{i}",
                level=StationLevel.COMMUNITY,
                owner_unit=communities[i % len(communities)],
                address=f"基准路{i}号",
                lat=float(s_lat[i]),
                lng=float(s_lng[i]),
            )
            for i in range(n_stations)
        ],
        batch_size=1000,
    )
    print(
        f"built {len(grids)} grids, {n_buildings:,} buildings, {n_stations} stations "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return {"district": district, "lat": lat, "lng": lng, "s_lat": s_lat, "s_lng": s_lng}


def measure(data, runs: int) -> dict[str, list[float]]:
    from grids import geo, selectors

    district = data["district"]
    cases = {
        "nearest station only (numpy)": lambda: geo.nearest_points(
            data["lat"], data["lng"], data["s_lat"], data["s_lng"]
        ),
        "building_walking_minutes(district)": lambda: selectors.building_walking_minutes(district),
        "coverage_report(district)": lambda: selectors.coverage_report(district),
    }
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for name, fn in cases.items():
        fn()  # warm up (imports, query plans)
        for _ in range(runs):
            started = time.perf_counter()
            fn()
            timings[name].append(time.perf_counter() - started)
    report = selectors.coverage_report(district)
    print(
        f"coverage: {report.summary.building_percent}% of buildings, "
        f"{report.summary.household_percent}% of households within "
        f"{geo.SERVICE_CIRCLE_MINUTES:.0f} minutes; {report.summary.uncovered_buildings} uncovered"
    )
    return timings


if __name__ == "__main__":
    main()
