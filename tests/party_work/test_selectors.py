"""The dashboard indicators under a unit, and the dashboards table built from them."""

import datetime
from decimal import Decimal

from django.utils import timezone

from dashboards.tables import party_work_table
from party_work.models import Activity, ServiceProject, SessionStatus, VanguardAward
from party_work.selectors import party_work_figures, teams_for_grid, teams_for_request

from .factories import deputy, link, session, team


def test_indicators_count_only_the_units_subtree(p):
    today = timezone.localdate()
    t = team(p.grids[0], members=p.members[:2])
    team(p.other_grid)
    Activity.objects.create(
        team=t, title="义诊", date=today, place="广场", hours=Decimal("2.5")
    ).participants.set(p.members[:2])
    link(p.households[0], last_visit=today)
    link(p.households[1], last_visit=today - datetime.timedelta(days=100))
    link(p.other_household)
    deputy(p.communities[0])
    session(p.communities[0], date=today - datetime.timedelta(days=3), status=SessionStatus.HELD)
    session(p.communities[1], days_ahead=5)
    ServiceProject.objects.create(community=p.communities[0], year=today.year, title="加装电梯")
    ServiceProject.objects.create(community=p.communities[0], year=today.year - 1, title="旧项目")
    member = p.members[0]
    VanguardAward.objects.create(
        person=member, branch=member.membership_unit, year=today.year, quarter=1
    )

    f = party_work_figures(p.street, today=today)
    assert (f.teams, f.team_members) == (1, 2)
    assert (f.central_households_in_contact, f.households_in_contact) == (2, 2)
    assert (f.households_visited_90_days, f.households_due_visit) == (1, 1)
    # deputy() makes one per session too: the explicit one and one per session
    assert f.deputies == 3
    if (today - datetime.timedelta(days=3)).year == today.year:
        assert f.sessions_held == 1
    assert f.sessions_coming == 1
    assert f.projects == 1 and f.activities == 1 and f.volunteer_hours == Decimal("5.0")
    assert f.vanguard_models == 1

    other = party_work_figures(p.other_street, today=today)
    assert (other.teams, other.households_in_contact, other.projects) == (1, 1, 0)


def test_the_dashboard_table_holds_the_figures(p):
    team(p.grids[0], members=p.members[:2])
    table = party_work_table(p.street)
    assert table.key == "party_work"
    assert [row[1] for row in table.rows][:2] == [1, 2]


def test_teams_for_a_grid_are_its_active_ones(p):
    active = team(p.grids[0], members=p.members[:1])
    team(p.grids[0], active=False)
    team(p.grids[1])
    assert list(teams_for_grid(p.grids[0])) == [active]
    assert teams_for_grid(p.grids[0])[0].n_members == 1


def test_teams_a_request_can_be_dispatched_to_follow_its_level(p):
    from resident_requests.models import HandlingLevel, ResidentRequest

    here = team(p.grids[0], name="本网格队")
    neighbour = team(p.grids[1], name="邻网格队")
    team(p.other_grid, name="外街道队")
    request = ResidentRequest(grid=p.grids[0], level=HandlingLevel.GRID)
    assert list(teams_for_request(request)) == [here]
    request.level = HandlingLevel.STREET
    assert set(teams_for_request(request)) == {here, neighbour}


def test_the_indicators_take_a_fixed_number_of_queries(p, django_assert_num_queries):
    team(p.grids[0], members=p.members[:2])
    link(p.households[0])
    with django_assert_num_queries(PARTY_WORK_QUERIES):
        party_work_figures(p.district)


# Teams, claimed posts, households, deputies, sessions (2), projects, activities (2),
# co-building units, vanguard models: whatever the unit's size.
PARTY_WORK_QUERIES = 11
