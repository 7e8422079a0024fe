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
    assert g2[3:] == [1, 100.0, 100.0, 100.0, 0, 100.0]
    # G1: resolution 2/3, on time 1/2, satisfied 1/2, two late:
    # 0.30 × 66.7 + 0.35 × 50 + 0.35 × 50 − 2 × 2 = 51.0
    assert g1[3:] == [4, 66.7, 50.0, 50.0, 2, 51.0]
    assert g3[3:] == [0, "", "", "", 0, ""]  # no requests: ranked last, no score
    assert [row[0] for row in table.rows] == [1, 2, 3]


def test_score_weights_come_from_settings(settings):
    settings.DASHBOARD_SCORE_WEIGHTS = {
        "resolution_rate": 1.0,
        "on_time_rate": 0.0,
        "satisfaction_rate": 0.0,
        "overdue_penalty": 10.0,
    }
    h = Handling(valid=4, resolved=2, on_time=1, rated=2, satisfied=2, late=1)
    assert governance_score(h) == 40.0  # 50 % resolved, less 10 for the one late request


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
