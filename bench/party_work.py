"""Time party_work's demo load and its reads on the demo data.

    .venv/bin/python bench/party_work.py                 # a fresh SQLite file in /tmp
    DATABASE_URL=postgres://… .venv/bin/python bench/party_work.py --reuse   # an existing demo

Without --reuse it migrates a new database, runs load_demo (whose output shows each part's
time; party_work's must stay well under a minute on SQLite), then times the reads the pages,
the API and the dashboards make: the indicators of the district and of a street, the quarterly
ranking of a street, the 90-day visit list of a community and the coming sessions.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingkou.settings")
os.environ.setdefault("DEBUG", "true")  # development settings (the default is production)

parser = argparse.ArgumentParser()
parser.add_argument("--reuse", action="store_true", help="use DATABASE_URL's demo as it is")
parser.add_argument("--repeat", type=int, default=5)
args = parser.parse_args()
if not args.reuse:
    path = Path(tempfile.mkdtemp()) / "bench_party_work.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from organization.models import OrgUnit, UnitKind  # noqa: E402
from party_work import selectors  # noqa: E402
from party_work.models import HouseholdLink  # noqa: E402


def timed(label, fn):
    times, queries = [], 0
    for _ in range(args.repeat):
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            result = fn()
            times.append((time.perf_counter() - started) * 1000)
        queries = len(ctx.captured_queries)
    print(f"  {label:<44} median {statistics.median(times):8.1f} ms  {queries:3d} queries")
    return result


if not args.reuse:
    call_command("migrate", verbosity=0)
    started = time.monotonic()
    call_command("load_demo", verbosity=1)
    print(f"load_demo (all apps) in {time.monotonic() - started:.1f} s on {connection.vendor}")

district = OrgUnit.objects.get(kind=UnitKind.DISTRICT, parent__isnull=True)
street = OrgUnit.objects.filter(kind=UnitKind.STREET).order_by("code").first()
community = OrgUnit.objects.filter(kind=UnitKind.COMMUNITY).order_by("code").first()
print(f"{HouseholdLink.objects.count()} households in contact, database {connection.vendor}")
figures = timed("party_work_figures(district)", lambda: selectors.party_work_figures(district))
timed("party_work_figures(street)", lambda: selectors.party_work_figures(street))
rows = timed(
    "vanguard_ranking(street, current quarter)",
    lambda: selectors.vanguard_ranking(unit=street, year=figures.year, quarter=4),
)
timed(
    "households_due_visit(community)[:50]",
    lambda: list(selectors.households_due_visit(unit=community)[:50]),
)
timed("coming_sessions()", lambda: list(selectors.coming_sessions()))
print(
    f"teams {figures.teams}, claimed posts {figures.claimed_posts}, central households "
    f"{figures.central_households_in_contact} in contact with {figures.households_in_contact}, "
    f"due a visit {figures.households_due_visit}, deputies {figures.deputies}, projects "
    f"{figures.projects}, activities {figures.activities}, hours {figures.volunteer_hours}, "
    f"ranked members in {street.name}: {len(rows)}"
)
