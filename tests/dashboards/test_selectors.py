"""Each dashboard figure against the hand-counted district in conftest.py."""

import dataclasses
import datetime
import random

import pytest

from dashboards import selectors
from dashboards.boards import build_dashboard, governance_score
from dashboards.selectors import Handling, RequestFilter
from dashboards.services import summaries_refresh

from .conftest import JANUARY

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["live", "summary"])
def board(request, world):
    """Build a dashboard from the requests themselves, or from the summaries: every figure
    test runs both ways, so the summaries are checked against the same hand counts."""
    source = request.param
    if source == "summary":
        summaries_refresh(full=True)

    def make(unit, flt=JANUARY):
        return build_dashboard(
            unit=unit,
            flt=dataclasses.replace(flt, source=source),
            link_for=lambda child: f"/u/{child.pk}",
        )

    return make


def test_party_figures_of_the_district(world):
    figures = dataclasses.asdict(selectors.party_figures(world.district))
    figures.pop("coverage_percent")
    assert figures == {
        "streets": 2,
        "communities": 3,
        "grids": 4,
        "grid_branches": 3,
        "grid_party_groups": 1,
        "grids_without_branch_or_group": 0,
        "building_groups": 1,
        "central_households": 1,
        "households_in_contact": 2,  # the inactive link does not count
        "resident_households": 400,
        "party_members": 8,
        "retired_branch_secretaries": 2,  # the ended post in G4 does not count
        "party_member_grid_leaders": 1,  # G2's leader holds membership in the community
        "applicant_grid_leaders": 1,
        "stations": 2,  # the inactive one does not count
    }


def test_party_figures_of_a_street_are_its_subtree_only(world):
    figures = selectors.party_figures(world.s1)
    assert (figures.streets, figures.communities, figures.grids) == (1, 2, 3)
    assert (figures.grid_branches, figures.grid_party_groups) == (2, 1)
    assert figures.party_members == 7
    assert figures.stations == 1


def test_grids_with_neither_a_branch_nor_a_group_are_counted(world):
    from organization.models import OrgUnit

    # A grid whose unit is not constituted as a branch or group (bypassing validation, as a
    # bad import might): the figure that must be 0 shows it.
    OrgUnit.objects.filter(pk=world.u3.pk).update(org_form="committee")
    assert selectors.party_figures(world.district).grids_without_branch_or_group == 1


def test_party_figures_by_child(world):
    rows = {u.name: u for u in selectors.party_figures_by_child(world.district)}
    s1, s2 = rows["甲街道党工委"], rows["乙街道党工委"]
    assert (s1.n_grids, s1.n_branches, s1.n_groups, s1.n_households) == (3, 2, 1, 1)
    assert (s1.n_members, s1.n_stations) == (7, 1)
    assert (s2.n_grids, s2.n_branches, s2.n_groups, s2.n_members, s2.n_stations) == (1, 1, 0, 1, 1)


def test_request_handling_figures_of_the_district(world, board):
    h = board(world.district).handling
    assert (h.received, h.valid, h.accepted, h.resolved, h.closed) == (6, 5, 4, 4, 3)
    assert h.resolution_rate == 80.0  # 4 resolved of 5 (the rejected one does not count)
    assert h.on_time_rate == 75.0  # r2 took 100 h against 72
    assert h.avg_hours_to_accept == 3.0  # (2 + 4 + 1 + 5) / 4
    assert h.avg_hours_to_resolve == 40.0  # (20 + 100 + 10 + 30) / 4
    assert h.satisfaction_rate == 75.0  # satisfied, basically satisfied, satisfied of 4
    assert (h.open_now, h.overdue_now) == (1, 1)  # r3, long past its deadline
    assert h.late == 2  # r2 resolved late, r3 open past its deadline
    assert (h.level_community, h.level_street, h.level_department) == (1, 1, 0)


def test_breakdowns_of_the_district(world, board):
    tables = board(world.district).tables
    assert tables["channels"].rows[0][1:] == [4]
    assert sorted(row[1] for row in tables["channels"].rows) == [1, 1, 4]
    assert [row[1:] for row in tables["categories"].rows] == [[4, 3], [2, 1]]
    assert tables["categories"].rows[0][0] == "环境卫生 › 垃圾清运"
    assert [row[1] for row in tables["levels"].rows] == [1, 1, 0]
    # Counted by the day the department was called in: two calls in January, one reported in.
    assert tables["departments"].rows == [["区城管局", 2, 1, 1]]
    units = {row[0]: row[1:] for row in tables["units"].rows}
    # received, resolved, resolution, on time, satisfaction, open, overdue
    assert units["甲街道党工委"] == [5, 3, 75.0, 66.7, 66.7, 1, 1]
    assert units["乙街道党工委"] == [1, 1, 100.0, 100.0, 100.0, 0, 0]
    assert tables["open"].rows == [["一社区第1网格党支部 grid", 1, 1]]


def test_trend_by_week_and_by_month(world, board):
    monthly = board(world.district, dataclasses.replace(JANUARY, period="month"))
    assert monthly.tables["trend"].rows == [["2026-01", 6, 4]]
    weekly = board(world.district).tables["trend"].rows
    assert sum(row[1] for row in weekly) == 6
    assert weekly[0][0] == "2026-01-05"  # weeks begin on Monday
    assert [row[1] for row in weekly] == [5, 1]  # Mon 5 – Sat 10 Jan, then Mon 12 Jan


def test_date_range_and_category_filter(world, board):
    december = RequestFilter(start=datetime.date(2025, 12, 1), end=datetime.date(2025, 12, 31))
    assert board(world.district, december).handling.received == 1
    # A top-level category takes in its sub-categories.
    env = dataclasses.replace(JANUARY, category_id=world.env.pk)
    assert board(world.district, env).handling.received == 4
    lights = dataclasses.replace(JANUARY, category_id=world.lights.pk)
    h = board(world.district, lights).handling
    assert (h.received, h.open_now) == (2, 1)


def test_assessment_ranks_every_grid_branch_by_its_score(world, board):
    table = board(world.s1).tables["assessment"]
    names = [row[1] for row in table.rows]
    assert names == ["一社区第2网格党小组", "一社区第1网格党支部", "二社区第1网格党支部"]
    g2, g1, g3 = table.rows
    # Each rate counts at the lower bound of its 95 % Wilson interval: G2's one request,
    # resolved on time to the resident's satisfaction, scores 20.7, not 100.
    assert g2[3:] == [1, 100.0, 100.0, 100.0, 0, 0, 0, 0, "", 20.7]
    # G1: resolution 2/3 (bound 20.8), on time 1/2 and satisfied 1/2 (bound 9.5), two late:
    # 0.30 × 20.8 + 0.35 × 9.5 + 0.35 × 9.5 − 2 × 2 = 8.8
    assert g1[3:] == [4, 66.7, 50.0, 50.0, 2, 0, 0, 0, "", 8.8]
    assert g3[3:] == [0, "", "", "", 0, 0, 0, 0, "", ""]  # neither: ranked last, no score
    assert [row[0] for row in table.rows] == [1, 2, 3]


WEIGHTS = {
    "resolution_rate": 0.30,
    "on_time_rate": 0.35,
    "satisfaction_rate": 0.35,
    "overdue_penalty": 2.0,
    "confidence_z": 1.96,
    "party_work": 0.25,
    "party_work_targets": {"claimed_posts": 3, "visits_per_30_days": 10, "hours_per_30_days": 20},
}


def test_a_grid_with_one_request_does_not_outrank_one_with_fifty(settings):
    settings.DASHBOARD_SCORE_WEIGHTS = WEIGHTS
    lucky = Handling(received=1, valid=1, resolved=1, on_time=1, rated=1, satisfied=1)
    busy = Handling(received=50, valid=50, resolved=45, on_time=42, rated=40, satisfied=36)
    assert governance_score(busy) > governance_score(lucky)
    # With the raw rates (z = 0) the lucky grid would top the ranking with 100.
    settings.DASHBOARD_SCORE_WEIGHTS = {**WEIGHTS, "confidence_z": 0.0}
    assert governance_score(lucky) == 100.0 > governance_score(busy)


def test_party_work_counts_in_the_grids_score(settings):
    from dashboards.boards import party_work_index
    from party_work.selectors import GridWork

    settings.DASHBOARD_SCORE_WEIGHTS = {**WEIGHTS, "confidence_z": 0.0}
    h = Handling(received=4, valid=4, resolved=2, on_time=2, rated=2, satisfied=2)
    handling_only = governance_score(h)  # 0.30 × 50 + 0.35 × 100 + 0.35 × 100 = 85.0
    assert handling_only == 85.0
    # 3 posts (target 3), 5 visits in 30 days (target 10), 20 hours (target 20): (1 + .5 + 1) / 3
    work = GridWork(claimed_posts=3, visits=5, volunteer_hours=20)
    index = party_work_index(work, days=30)
    assert index == 83.3
    assert governance_score(h, party_index=index) == round(0.75 * 85.0 + 0.25 * 83.3, 1)
    # Targets scale with the period: the same work over 60 days is half the visits and hours.
    assert party_work_index(work, days=60) == round(100 * (1 + 0.25 + 0.5) / 3, 1)
    # A grid without requests but with party work gets a score; with neither, none.
    assert governance_score(Handling(), party_index=index) == round(0.25 * 83.3, 1)
    assert governance_score(Handling(), party_index=party_work_index(GridWork(), 30)) is None


def test_the_assessment_counts_the_grids_party_work_in_the_period(world, board):
    """双挂钩 both ways: 二社区第1网格 received no requests, but its members claimed three posts,
    visited eleven households in January and served 21 volunteer hours (the targets, 10 visits
    and 20 hours per 30 days, scaled to January's 31 days): its party-work index is 100 and its score (a quarter party work) ranks it first; December's visits do not count."""
    from party_work.models import Activity, HouseholdLink, HouseholdVisit, PostClaim, PostKind
    from tests.grids.factories import building
    from tests.organization.factories import PersonFactory
    from tests.party_work.factories import team

    members = [PersonFactory(membership_unit=world.u3) for _ in range(5)]
    for member in members[:3]:
        PostClaim.objects.create(
            person=member, grid=world.g3, post=PostKind.choices[0][0],
            start_date=datetime.date(2025, 6, 1),
        )  # fmt: skip
    household = HouseholdLink.objects.create(
        central_household=world.household, building=building(world.g3), address="三号楼",
        contact_name="住户",
    )  # fmt: skip
    for day in range(1, 12):
        HouseholdVisit.objects.create(link=household, visited_on=datetime.date(2026, 1, day))
    HouseholdVisit.objects.create(link=household, visited_on=datetime.date(2025, 12, 20))
    activity = Activity.objects.create(
        team=team(world.g3, members), title="助老", date=datetime.date(2026, 1, 10),
        place="社区", hours="4.2",
    )  # fmt: skip
    activity.participants.set(members)

    table = board(world.s1).tables["assessment"]
    first = table.rows[0]
    assert first[1] == "二社区第1网格党支部"
    assert first[3:] == [0, "", "", "", 0, 3, 11, 21, 100.0, 25.0]
    assert [row[1] for row in table.rows[1:]] == ["一社区第2网格党小组", "一社区第1网格党支部"]


def test_score_never_below_zero():
    h = Handling(valid=1, resolved=1, on_time=0, rated=1, satisfied=0, late=100)
    assert governance_score(h) == 0.0


def test_public_summary_counts_this_month_without_personal_data(world):
    from django.utils import timezone

    from resident_requests.models import ResidentRequest

    now = timezone.now()
    ResidentRequest.objects.filter(pk__in=[world.r1.pk, world.r2.pk]).update(resolved_at=now)
    figures = selectors.public_summary()
    assert figures["resolved"] == 2
    assert figures["satisfaction_rate"] == 50.0
    assert figures["stations"] == 2
    assert set(figures) == {"month", "resolved", "satisfaction_rate", "stations"}


def _days_of(wholes, days):
    from dashboards.models import period_end

    covered = []
    for kind, first, last in wholes:
        start = first
        while start <= last:
            end = period_end(kind, start)
            covered += [start + datetime.timedelta(d) for d in range((end - start).days + 1)]
            start = end + datetime.timedelta(days=1)
    for first, last in days:
        covered += [first + datetime.timedelta(d) for d in range((last - first).days + 1)]
    return covered


def test_a_date_range_is_covered_by_whole_periods_and_days_exactly_once():
    from dashboards.models import Period
    from dashboards.selectors import _cover

    wholes, days = _cover(
        datetime.date(2025, 12, 2), datetime.date(2026, 12, 2), [Period.MONTH, Period.WEEK]
    )
    assert wholes == [
        (Period.MONTH, datetime.date(2026, 1, 1), datetime.date(2026, 11, 1)),
        (Period.WEEK, datetime.date(2025, 12, 8), datetime.date(2025, 12, 22)),
    ]
    assert days == [
        (datetime.date(2025, 12, 2), datetime.date(2025, 12, 7)),
        (datetime.date(2025, 12, 29), datetime.date(2025, 12, 31)),
        (datetime.date(2026, 12, 1), datetime.date(2026, 12, 2)),
    ]
    rng = random.Random(11)
    for _ in range(300):
        start = datetime.date(2025, 1, 1) + datetime.timedelta(rng.randrange(500))
        end = start + datetime.timedelta(rng.randrange(400))
        for periods in ([Period.MONTH, Period.WEEK], [Period.WEEK], [Period.MONTH]):
            covered = _days_of(*_cover(start, end, periods))
            assert sorted(covered) == [
                start + datetime.timedelta(d) for d in range((end - start).days + 1)
            ], (start, end, periods)
