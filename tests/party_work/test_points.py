"""Vanguard points from a fixture of events with a known answer (rules: party_work.points)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from party_work import points
from party_work.models import Activity, HouseholdVisit
from party_work.selectors import quarter_dates, vanguard_ranking
from resident_requests.models import Category, Rating, ResidentRequest, Status

from .factories import link, team

YEAR, QUARTER = 2026, 2  # April to June


def at(month: int, day: int, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(YEAR, month, day, hour))


def resolved_request(p, person, *, resolved, deadline, rating, taken=True):
    top = Category.objects.get_or_create(code="pw-top", defaults={"name": "大类"})[0]
    category = Category.objects.get_or_create(
        code="pw-cat", defaults={"name": "小类", "parent": top}
    )[0]
    rated = rating and resolved + datetime.timedelta(days=1)
    return ResidentRequest.objects.create(
        code=f"JK-T-{ResidentRequest.objects.count() + 1}",
        submitter_name="居民",
        submitter_phone="13900000000",
        building=p.buildings[0],
        grid=p.grids[0],
        category=category,
        description="楼道灯坏了",
        status=Status.CLOSED if rating == Rating.SATISFIED else Status.RESOLVED,
        assignee=person,
        taken_at=resolved - datetime.timedelta(hours=5) if taken else None,
        resolved_at=resolved,
        resolve_deadline=deadline,
        rating=rating,
        rated_at=rated or None,
    )


def activity(team_obj, day, hours, people):
    obj = Activity.objects.create(
        team=team_obj, title="楼道清理", date=day, place="小区广场", hours=Decimal(hours)
    )
    obj.participants.set(people)
    return obj


@pytest.fixture
def events(p):
    """Member A (grid 1) and member B (grid 2) of the street; a member of the other street."""
    a, b = p.members[0], p.members[2]
    # A: two requests resolved on time and rated satisfied → 2 × 10
    resolved_request(p, a, resolved=at(4, 10), deadline=at(4, 11), rating=Rating.SATISFIED)
    resolved_request(p, a, resolved=at(6, 30, 15), deadline=at(6, 30, 18), rating=Rating.SATISFIED)
    # …and four that earn nothing: late, only basically satisfied, never taken, last quarter.
    resolved_request(p, a, resolved=at(5, 10), deadline=at(5, 9), rating=Rating.SATISFIED)
    resolved_request(
        p, a, resolved=at(5, 12), deadline=at(5, 13), rating=Rating.BASICALLY_SATISFIED
    )
    resolved_request(
        p, a, resolved=at(5, 14), deadline=at(5, 15), rating=Rating.SATISFIED, taken=False
    )
    resolved_request(p, a, resolved=at(3, 31, 20), deadline=at(4, 2), rating=Rating.SATISFIED)
    # Activities: A serves 1.5 + 2.0 h in the quarter (→ 7 points), B 1.5 h (→ 3); one in July.
    t = team(p.grids[0], members=[a, b])
    activity(t, datetime.date(YEAR, 4, 5), "1.5", [a, b])
    activity(t, datetime.date(YEAR, 6, 1), "2.0", [a])
    activity(t, datetime.date(YEAR, 7, 1), "3.0", [a, b])
    # Visits: A visits 3 households in the quarter (→ 9); B one (→ 3) and one in March.
    links = [link(p.households[0]) for _ in range(3)]
    for i, household in enumerate(links):
        HouseholdVisit.objects.create(
            link=household, visitor=a, visited_on=datetime.date(YEAR, 5, 1 + i)
        )
    HouseholdVisit.objects.create(link=links[0], visitor=b, visited_on=datetime.date(YEAR, 4, 30))
    HouseholdVisit.objects.create(link=links[1], visitor=b, visited_on=datetime.date(YEAR, 3, 30))
    # Someone in the other street earns points too, but is ranked in their own street only.
    HouseholdVisit.objects.create(
        link=link(p.other_household), visitor=p.other_member, visited_on=datetime.date(YEAR, 5, 5)
    )
    return a, b


def test_points_of_the_quarter_have_the_known_answer(p, events):
    a, b = events
    rows = vanguard_ranking(unit=p.street, year=YEAR, quarter=QUARTER)
    assert [(r.person_id, r.requests, r.hours, r.visits, r.points) for r in rows] == [
        (a.pk, 2, Decimal("3.5"), 3, 20 + 7 + 9),
        (b.pk, 0, Decimal("1.5"), 1, 3 + 3),
    ]


def test_ranking_is_per_street(p, events):
    rows = vanguard_ranking(unit=p.other_street, year=YEAR, quarter=QUARTER)
    assert [(r.person_id, r.points) for r in rows] == [(p.other_member.pk, 3)]


def test_the_next_quarter_counts_only_its_own_events(p, events):
    a, b = events
    rows = vanguard_ranking(unit=p.street, year=YEAR, quarter=3)
    assert [(r.person_id, r.points) for r in rows] == [(a.pk, 6), (b.pk, 6)]


def test_ranking_takes_a_fixed_number_of_queries(p, events, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        vanguard_ranking(unit=p.street, year=YEAR, quarter=QUARTER)


@pytest.mark.parametrize(
    ("requests", "hours", "visits", "expected"),
    [(0, 0, 0, 0), (1, 0, 0, 10), (0, "0.5", 0, 1), (0, "1.25", 0, 3), (2, "3.5", 3, 36)],
)
def test_points_for(requests, hours, visits, expected):
    assert points.points_for(requests=requests, hours=Decimal(hours), visits=visits) == expected


def test_quarter_dates():
    assert quarter_dates(2026, 1) == (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    assert quarter_dates(2026, 4) == (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
