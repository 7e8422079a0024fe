"""The member picker of a dispatch and the bulk dispatch (issue 16, point 5)."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organization.models import UnitKind
from party_work.models import HouseholdLink, PostClaim, PostKind
from resident_requests import services
from resident_requests.dispatch_picker import dispatch_candidates
from resident_requests.models import Category, ResidentRequest, Status

from .factories import category, member, submit, unit

pytestmark = pytest.mark.django_db
LIST = reverse("admin:resident_requests_residentrequest_changelist")


def _household(building):
    """A central household (党员中心户) in `building`: its party group made first if needed."""
    if building.unit_id is None:
        building.unit = unit(UnitKind.BUILDING, building.grid.unit)
        building.save(update_fields=["unit"])
    return unit(UnitKind.HOUSEHOLD, building.unit)


def _accepted(w, **extra):
    request = submit(w, **extra)
    services.request_accept(request=request, actor=w.users["leader"])
    request.refresh_from_db()
    return request


@pytest.fixture
def picker_world(w):
    env = Category.objects.create(code="env", name="环境卫生")
    w.env_category = category(parent=env, name="垃圾清运")
    grid_unit = w.grids[0].unit
    # Linked to the request's building: suggested first whatever the others' score.
    w.central = member(_household(w.buildings[0]), with_login=False)
    HouseholdLink.objects.create(
        central_household=w.central.membership_unit,
        building=w.buildings[0],
        address="测试小区1号楼101",
        contact_name="居民甲",
    )
    # Lives in the building 100 m away, has a fitting post (环境监督), no orders.
    w.poster = member(_household(w.buildings[3]), with_login=False)
    PostClaim.objects.create(
        person=w.poster,
        grid=w.grids[0],
        post=PostKind.ENVIRONMENT,
        start_date=datetime.date(2026, 1, 1),
    )
    # Busy: two open orders, one of them overdue.
    w.busy = member(grid_unit, with_login=False)
    for overdue in (True, False):
        order = _accepted(w)
        services.request_dispatch(request=order, actor=w.users["leader"], assignee=w.busy)
        ResidentRequest.objects.filter(pk=order.pk).update(overdue=overdue)
    return w


def test_the_picker_shows_each_members_load_posts_and_distance_central_household_first(
    picker_world,
):
    w = picker_world
    request = _accepted(w, category=w.env_category)
    candidates = dispatch_candidates(request, services.members_for_dispatch(request))
    by_person = {c.person.pk: c for c in candidates}
    assert candidates[0].person == w.central and candidates[0].central_household
    assert round(by_person[w.central.pk].distance_m) == 0
    poster = by_person[w.poster.pk]
    assert poster.claimed_posts == 1 and 90 < poster.distance_m < 110
    busy = by_person[w.busy.pk]
    assert (busy.open_orders, busy.overdue_orders, busy.claimed_posts) == (2, 1, 0)
    assert busy.distance_m is None  # no household: no coordinates
    # After the central household: lowest score first (the member with the fitting post, then
    # the free member of the grid, then the busy one).
    assert [c.person for c in candidates[1:]] == [w.poster, w.members[0], w.busy]
    # A post that does not fit the category does not count.
    other = _accepted(w)
    fits = {
        c.person.pk: c.claimed_posts
        for c in dispatch_candidates(other, services.members_for_dispatch(other))
    }
    assert fits[w.poster.pk] == 0


def _picker_queries(request) -> int:
    # The request as the pages load it, with what the picker reads of it.
    request = ResidentRequest.objects.select_related(
        "grid__unit", "category__parent", "building"
    ).get(pk=request.pk)
    with CaptureQueriesContext(connection) as queries:
        candidates = dispatch_candidates(request, services.members_for_dispatch(request))
        [c.label for c in candidates]
    return len(queries), len(candidates)


def test_the_picker_takes_the_same_few_queries_at_any_size(picker_world):
    w = picker_world
    request = _accepted(w, category=w.env_category)
    small, members_small = _picker_queries(request)
    for _ in range(6):  # more members, each with orders, posts and a household
        person = member(_household(w.buildings[0]), with_login=False)
        PostClaim.objects.create(
            person=person,
            grid=w.grids[0],
            post=PostKind.CIVILITY,
            start_date=datetime.date(2026, 1, 1),
        )
        order = _accepted(w)
        services.request_dispatch(request=order, actor=w.users["leader"], assignee=person)
    large, members_large = _picker_queries(request)
    assert members_large == members_small + 6
    assert large == small
    # One query: the members with their orders, overdue orders, fitting posts, household's
    # coordinates and the central-household link, all as subqueries.
    assert small == 1


def test_the_dispatch_page_and_the_change_page_show_the_picker(client, picker_world):
    w = picker_world
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    request = _accepted(w, category=w.env_category)
    client.force_login(w.users["leader"])
    url = reverse(
        "admin:resident_requests_residentrequest_transition", args=[request.pk, "dispatch"]
    )
    page = client.get(url)
    form = page.context["form"]
    choices = [value for value, _label in form.fields["assignee"].choices if value]
    assert choices[0] == w.central.pk
    html = page.content.decode()
    assert "central household of this building" in html and "2 open, 1 overdue" in html
    change = client.get(
        reverse("admin:resident_requests_residentrequest_change", args=[request.pk])
    )
    assert f'data-person="{w.central.pk}"' in change.content.decode()
    # Dispatching with the first suggestion works as before.
    client.post(url, {"assignee": w.central.pk, "note": ""})
    request.refresh_from_db()
    assert request.status == Status.DISPATCHED and request.assignee == w.central


def test_bulk_dispatch_runs_each_request_through_the_service_and_reports_each(client, w):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    first, second = _accepted(w), _accepted(w)
    not_accepted = submit(w)
    client.force_login(w.users["leader"])
    ids = [first.pk, second.pk, not_accepted.pk]
    page = client.post(LIST, {"action": "dispatch_selected", "_selected_action": ids})
    assert page.status_code == 200 and "bulk_dispatch" in page.templates[0].name
    response = client.post(
        LIST,
        {
            "action": "dispatch_selected",
            "_selected_action": ids,
            "apply": "1",
            "assignee": w.members[0].pk,
            "note": "请今天处理",
        },
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert f"{first.code} dispatched." in messages
    assert f"{second.code} dispatched." in messages
    refused = [m for m in messages if m.startswith(f"{not_accepted.code} refused")]
    assert refused and "submitted" in refused[0].lower()
    statuses = dict(ResidentRequest.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert statuses == {
        first.pk: Status.DISPATCHED,
        second.pk: Status.DISPATCHED,
        not_accepted.pk: Status.SUBMITTED,
    }


def test_bulk_dispatch_refuses_a_member_outside_the_requests_unit(client, w):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    request = _accepted(w)
    client.force_login(w.users["community"])
    response = client.post(
        LIST,
        {
            "action": "dispatch_selected",
            "_selected_action": [request.pk],
            "apply": "1",
            "assignee": w.members[1].pk,  # grid B's member, the request is grid A's
        },
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any(m.startswith(f"{request.code} refused") for m in messages), messages
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED
