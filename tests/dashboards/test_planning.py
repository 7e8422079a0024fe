"""The planning pages: 每月一题 (recurring categories per community, one click to a draft service
project, before/after) and the station planner (greedy 15-minute coverage gain)."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboards import planning
from grids.models import Building
from organization.models import StaffRole
from party_work.models import ProjectStatus, ServiceProject
from tests.organization.factories import staff_user

from .factories import at, category, request

pytestmark = pytest.mark.django_db

JUNE = datetime.date(2025, 6, 1)


def _street_client(client, world):
    client.force_login(staff_user(StaffRole.STREET_STAFF, unit=world.s1))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def topics(world):
    """June 2025 in community C1 (street S1): garbage three times (twice from one building, once
    reopened), lights once; garbage once in May. C3 (street S2) has garbage in June too."""
    b1 = world.g1.buildings.first()
    b2 = Building.objects.create(
        name="2", address="二号楼", grid=world.g1, lat=32.2, lng=119.45, households=8
    )
    request(world.g1, world.garbage, at("2025-06-03"), building=b1)
    request(world.g1, world.garbage, at("2025-06-10"), building=b1)
    request(world.g1, world.garbage, at("2025-06-12"), building=b2, reopened_count=1)
    request(world.g1, world.lights, at("2025-06-14"), building=b1)
    request(world.g1, world.garbage, at("2025-05-20"), building=b2)
    request(world.g4, world.garbage, at("2025-06-05"))
    world.b2 = b2
    return world


def test_recurring_categories_per_community_with_the_months_before(client, topics):
    w = topics
    page = _street_client(client, w).get(
        reverse("dashboards:topics", args=[w.s1.pk]), {"month": "2025-06"}
    )
    assert page.status_code == 200
    communities = page.context["communities"]
    assert [c.community_id for c in communities] == [w.c1.pk, w.c2.pk]
    c1 = communities[0]
    garbage, lights = c1.topics
    assert garbage.category_id == w.garbage.pk
    assert garbage.requests == [0, 0, 1, 3]  # March, April, May, June
    assert garbage.repeat_buildings == [0, 0, 0, 1]
    assert garbage.reopened == [0, 0, 0, 1]
    assert lights.requests == [0, 0, 0, 1]
    assert c1.suggestion is garbage
    assert communities[1].topics == []
    html = page.content.decode()
    assert "2025-03" in html and "2025-06" in html
    assert "三社区" not in html  # the other street's community


def test_another_streets_unit_is_not_found(client, topics):
    client = _street_client(client, topics)
    assert client.get(reverse("dashboards:topics", args=[topics.s2.pk])).status_code == 404
    assert client.get(reverse("dashboards:stations", args=[topics.c3.pk])).status_code == 404
    post = client.post(
        reverse("dashboards:topic_project", args=[topics.s1.pk]),
        {"community": topics.c3.pk, "category": topics.garbage.pk, "month": "2025-06"},
    )
    assert post.status_code == 404
    assert not ServiceProject.objects.exists()


@pytest.mark.parametrize("month", ["2026-13", "June", "2026-00", "1999-05"])
def test_a_bad_month_is_explained(client, topics, month):
    client = _street_client(client, topics)
    page = client.get(reverse("dashboards:topics", args=[topics.s1.pk]), {"month": month})
    assert page.status_code == 400
    assert "is not a month: write it as YYYY-MM" in page.content.decode()
    post = client.post(
        reverse("dashboards:topic_project", args=[topics.s1.pk]),
        {"community": topics.c1.pk, "category": topics.garbage.pk, "month": month},
        follow=True,
    )
    assert post.status_code == 200
    assert "Choose a month and a category" in post.content.decode()
    assert not ServiceProject.objects.exists()


def test_one_click_starts_a_draft_project_and_the_page_shows_before_and_after(client, topics):
    w = topics
    client = _street_client(client, w)
    url = reverse("dashboards:topic_project", args=[w.s1.pk])
    data = {"community": w.c1.pk, "category": w.garbage.pk, "month": "2025-06"}
    page = client.post(url, data, follow=True)
    project = ServiceProject.objects.get()
    assert (project.community, project.topic_category, project.topic_month) == (
        w.c1,
        w.garbage,
        JUNE,
    )
    assert project.status == ProjectStatus.PLANNED and project.year == 2025
    assert "3 requests" in project.description
    assert "Draft service project" in page.content.decode()
    # A second click does not make a second project.
    again = client.post(url, data, follow=True)
    assert "already has a project" in again.content.decode()
    assert ServiceProject.objects.count() == 1

    # Fewer garbage requests after June: one in July, against one in May (and none before).
    request(w.g1, w.garbage, at("2025-07-08"))
    request(w.g1, w.garbage, at("2025-10-08"))  # beyond the three months after: not counted
    page = client.get(reverse("dashboards:topics", args=[w.s1.pk]), {"month": "2025-06"})
    c1 = page.context["communities"][0]
    assert c1.topics[0].project == project
    assert c1.suggestion.category_id == w.lights.pk
    (effect,) = c1.effects
    assert (effect.before, effect.after, effect.months_before, effect.months_after) == (1, 1, 3, 3)
    assert "Project started" in page.content.decode()


def _queries(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_the_topics_page_takes_as_many_queries_for_more_requests(client, topics):
    w = topics
    client = _street_client(client, w)
    ServiceProject.objects.create(
        community=w.c1, year=2025, title="p", topic_category=w.garbage, topic_month=JUNE
    )
    url = reverse("dashboards:topics", args=[w.s1.pk])
    small = _queries(client, url, {"month": "2025-06"})
    for n in range(6):
        cat = category(f"类别{n}")
        for grid in (w.g1, w.g2, w.g3):
            request(grid, cat, at(f"2025-06-0{n + 1}"), building=grid.buildings.first())
            request(grid, cat, at(f"2025-04-0{n + 1}"), building=grid.buildings.first())
    assert _queries(client, url, {"month": "2025-06"}) == small
    with CaptureQueriesContext(connection) as ctx:
        planning.monthly_topics(w.s1, JUNE)
    assert len(ctx.captured_queries) == 5


# --- The station planner -------------------------------------------------------------------------

# About 2 km east and north of the stations at (32.2, 119.45): beyond a 15-minute walk (923 m).
EAST = (32.2, 119.4713)
NORTH = (32.218, 119.45)


def _far_buildings(grid, where, households, count, step=0.0004):
    return [
        Building.objects.create(
            name=f"far{i}",
            address=f"{grid.code} 远{i}号楼",
            grid=grid,
            lat=where[0] + i * step,
            lng=where[1],
            households=households,
        )
        for i in range(count)
    ]


def test_the_planner_picks_places_greedily_by_households_gained(client, world):
    east = _far_buildings(world.g1, EAST, 50, 3)
    north = _far_buildings(world.g2, NORTH, 30, 2)
    _far_buildings(world.g4, EAST, 500, 4)  # the other street: not counted, not shown
    for _ in range(5):
        request(world.g2, world.lights, at("2026-11-01"), building=north[0])
    page = _street_client(client, world).get(reverse("dashboards:stations", args=[world.s1.pk]))
    assert page.status_code == 200
    plan = page.context["plan"]
    first, second = plan.candidates
    assert first.building_id in {b.pk for b in east}
    assert (first.households_gained, first.buildings_gained) == (150, 3)
    # The second pick counts only what the first did not cover.
    assert second.building_id in {b.pk for b in north}
    assert (second.households_gained, second.buildings_gained) == (60, 2)
    assert second.requests_nearby == 5
    # Households: 3 world buildings × 10 covered, then +150, then +60, of 240.
    assert plan.summary.household_percent == 12.5
    assert (first.household_percent_after, second.household_percent_after) == (75.0, 100.0)
    html = page.content.decode()
    assert first.address in html and second.address in html and world.g4.code not in html


def test_the_planner_asks_for_a_street_or_community(client, world):
    client.force_login(staff_user(StaffRole.ORG_DEPARTMENT, unit=world.district))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("dashboards:stations", args=[world.district.pk]))
    assert page.status_code == 200 and page.context["plan"] is None
    assert "works on one street or one community" in page.content.decode()
    assert reverse("dashboards:stations", args=[world.s1.pk]) in page.content.decode()


def test_the_planner_takes_as_many_queries_for_more_buildings(client, world):
    _far_buildings(world.g1, EAST, 50, 3)
    client = _street_client(client, world)
    url = reverse("dashboards:stations", args=[world.s1.pk])
    small = _queries(client, url)
    _far_buildings(world.g2, NORTH, 30, 40, step=0.0002)
    _far_buildings(world.g3, (32.17, 119.43), 30, 40, step=0.0002)
    request(world.g2, world.lights, at("2026-11-01"))
    assert _queries(client, url) == small
    with CaptureQueriesContext(connection) as ctx:
        plan = planning.station_plan(world.s1)
    assert len(ctx.captured_queries) == 4
    assert len(plan.candidates) >= 2


def test_the_dashboard_menu_links_to_both_pages(client, world):
    page = _street_client(client, world).get(reverse("dashboards:unit", args=[world.s1.pk]))
    html = page.content.decode()
    assert reverse("dashboards:topics", args=[world.s1.pk]) in html
    assert reverse("dashboards:stations", args=[world.s1.pk]) in html
