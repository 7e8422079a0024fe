import datetime
import math

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.exceptions import ApplicationError, IllegalTransition, OutOfScope
from grids.models import Building
from resident_requests import selectors, services
from resident_requests.models import (
    EventKind,
    HandlingLevel,
    PhotoStage,
    Rating,
    RequestEvent,
    ResidentRequest,
    Status,
)
from resident_requests.photos import photo_clean

from .factories import PHONE, at_level, member, submit, upload

pytestmark = pytest.mark.django_db


def kinds(request):
    return list(request.events.values_list("kind", flat=True))


def test_whole_path_submitted_to_closed(w, notified):
    leader, person = w.users["leader"], w.members[0]
    request = submit(w)
    assert request.status == Status.SUBMITTED and request.level == HandlingLevel.GRID
    assert request.grid == w.grids[0]
    assert request.accept_deadline > timezone.now()
    services.request_accept(request=request, actor=leader, note="已受理")
    services.request_dispatch(request=request, actor=leader, assignee=person)
    services.request_take(request=request, actor=person.user)
    photo = photo_clean(upload())
    services.request_resolve(request=request, actor=person.user, note="已修好", photos=[photo])
    services.request_rate(request=request, rating=Rating.SATISFIED, comment="谢谢")
    request.refresh_from_db()
    assert request.status == Status.CLOSED
    assert request.rating == Rating.SATISFIED and request.closed_at and request.resolved_at
    assert request.photos.filter(stage=PhotoStage.RESOLUTION).count() == 1
    assert kinds(request) == ["submitted", "accepted", "dispatched", "taken", "resolved", "rated"]
    # Every event went to notifications, inside the transition, in order.
    assert [e.kind for e in notified] == kinds(request)
    dispatched = request.events.get(kind=EventKind.DISPATCHED)
    assert dispatched.assignee == person and dispatched.actor == leader
    assert dispatched.public_actor.endswith("王")  # role and surname only


def test_tracking_code_and_token_are_random_and_long(w):
    a, b = submit(w), submit(w)
    assert a.code != b.code and a.access_token != b.access_token
    prefix, day, random_part = a.code.split("-")
    assert prefix == "JK" and len(day) == 8
    assert len(random_part) >= 9  # 31**9 > 2**44
    assert len(a.access_token) >= 43  # 32 bytes, base64


# --- Illegal transitions ----------------------------------------------------------------------


def _in_state(w, status):
    leader, person = w.users["leader"], w.members[0]
    request = submit(w)
    if status == Status.SUBMITTED:
        return request
    if status == Status.REJECTED:
        return services.request_reject(request=request, actor=leader, reason="不属实")
    if status == Status.MERGED:
        other = submit(w)
        return services.request_merge(request=request, into=other, actor=leader)
    services.request_accept(request=request, actor=leader)
    if status == Status.ACCEPTED:
        return request
    services.request_dispatch(request=request, actor=leader, assignee=person)
    if status == Status.DISPATCHED:
        return request
    services.request_take(request=request, actor=person.user)
    if status == Status.TAKEN:
        return request
    services.request_resolve(request=request, actor=person.user, note="好了")
    if status == Status.RESOLVED:
        return request
    return services.request_rate(request=request, rating=Rating.SATISFIED)


ALL = [s.value for s in Status]
TRANSITIONS = {
    "accept": (
        [Status.SUBMITTED],
        lambda w, r: services.request_accept(request=r, actor=w.users["leader"]),
    ),
    "reject": (
        [Status.SUBMITTED],
        lambda w, r: services.request_reject(request=r, actor=w.users["leader"], reason="x"),
    ),
    "dispatch": (
        [Status.ACCEPTED],
        lambda w, r: services.request_dispatch(
            request=r, actor=w.users["leader"], assignee=w.members[0]
        ),
    ),
    "take": (
        [Status.DISPATCHED],
        lambda w, r: services.request_take(request=r, actor=w.members[0].user),
    ),
    "decline": (
        [Status.DISPATCHED, Status.TAKEN],
        lambda w, r: services.request_decline(request=r, actor=w.members[0].user, reason="病了"),
    ),
    "resolve": (
        [Status.ACCEPTED, Status.DISPATCHED, Status.TAKEN],
        lambda w, r: services.request_resolve(request=r, actor=w.users["leader"], note="好了"),
    ),
    "escalate": (
        [Status.SUBMITTED, Status.ACCEPTED, Status.DISPATCHED, Status.TAKEN],
        lambda w, r: services.request_escalate(
            request=r, actor=w.users["leader"], note="需上级协调"
        ),
    ),
    "rate": (
        [Status.RESOLVED],
        lambda w, r: services.request_rate(request=r, rating=Rating.SATISFIED),
    ),
    "support": (
        [Status.SUBMITTED, Status.ACCEPTED, Status.DISPATCHED, Status.TAKEN],
        lambda w, r: services.request_support(request=r, phone="13700000001"),
    ),
}
ILLEGAL = [
    (name, status)
    for name, (allowed, _fn) in TRANSITIONS.items()
    for status in ALL
    if status not in allowed
]


@pytest.mark.parametrize(("name", "status"), ILLEGAL)
def test_every_illegal_transition_fails_and_changes_nothing(w, name, status):
    request = _in_state(w, status)
    # The member is the assignee only where one was dispatched; take/decline need that.
    before = ResidentRequest.objects.values().get(pk=request.pk)
    events = RequestEvent.objects.filter(request=request).count()
    with pytest.raises((IllegalTransition, OutOfScope)) as info:
        TRANSITIONS[name][1](w, request)
    assert str(info.value)  # a message for people
    assert ResidentRequest.objects.values().get(pk=request.pk) == before
    assert RequestEvent.objects.filter(request=request).count() == events


def test_reject_needs_a_reason_and_decline_too(w):
    request = submit(w)
    with pytest.raises(ApplicationError):
        services.request_reject(request=request, actor=w.users["leader"], reason="   ")
    services.request_accept(request=request, actor=w.users["leader"])
    services.request_dispatch(request=request, actor=w.users["leader"], assignee=w.members[0])
    with pytest.raises(ApplicationError):
        services.request_decline(request=request, actor=w.members[0].user, reason="")
    request.refresh_from_db()
    assert request.status == Status.DISPATCHED


def test_decline_returns_the_order_for_another_dispatch(w):
    request = _in_state(w, Status.TAKEN)
    services.request_decline(request=request, actor=w.members[0].user, reason="我要出差")
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED and request.assignee is None
    event = request.events.get(kind=EventKind.DECLINED)
    assert event.internal_note == "我要出差" and event.public_note == ""


# --- Scope ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["leader_b", "leader_c", "community2", "dept"])
def test_staff_outside_the_requests_area_cannot_act(w, who):
    request = submit(w)
    with pytest.raises(OutOfScope):
        services.request_accept(request=request, actor=w.users[who])
    request.refresh_from_db()
    assert request.status == Status.SUBMITTED


@pytest.mark.parametrize("who", ["leader", "community", "street", "org"])
def test_staff_above_the_grid_can_act(w, who):
    request = submit(w)
    services.request_accept(request=request, actor=w.users[who])
    assert request.events.last().actor == w.users[who]


def test_dispatch_only_to_a_party_member_of_that_grid(w):
    request = _in_state(w, Status.ACCEPTED)
    with pytest.raises(OutOfScope):
        services.request_dispatch(request=request, actor=w.users["leader"], assignee=w.members[1])
    assert list(services.members_for_dispatch(request)) == [w.members[0]]


def test_only_the_assignee_takes_and_resolves(w):
    request = _in_state(w, Status.DISPATCHED)
    stranger = member(w.grids[0].unit)
    with pytest.raises(OutOfScope):
        services.request_take(request=request, actor=stranger.user)
    with pytest.raises(OutOfScope):
        services.request_take(request=request, actor=None)


def test_a_grid_leader_cannot_act_once_the_community_handles_it(w):
    request = at_level(w, HandlingLevel.COMMUNITY)
    with pytest.raises(OutOfScope):
        services.request_resolve(request=request, actor=w.users["leader"], note="好了")
    services.request_resolve(request=request, actor=w.users["community"], note="社区处理了")


# --- Escalation, departments ------------------------------------------------------------------


def test_escalation_climbs_one_level_at_a_time_and_ends_with_departments(w, notified):
    request = at_level(w, HandlingLevel.DEPARTMENT)
    assert request.level == HandlingLevel.DEPARTMENT and request.status == Status.ACCEPTED
    levels = list(
        request.events.filter(kind=EventKind.ESCALATED).values_list("from_level", "to_level")
    )
    assert levels == [("grid", "community"), ("community", "street"), ("street", "department")]
    called = request.events.filter(kind=EventKind.DEPARTMENT_CALLED)
    assert {e.department for e in called} == {w.department, w.other_department}
    assert request.department_links.count() == 2
    # The departments' own deadlines.
    for link in request.department_links.all():
        assert link.acknowledge_deadline > timezone.now()
    with pytest.raises(IllegalTransition):
        services.request_escalate(request=request, actor=w.users["street"], note="需上级协调")


def test_escalating_to_departments_defaults_to_the_categorys_department(w):
    request = at_level(w, HandlingLevel.STREET)
    services.request_escalate(request=request, actor=w.users["street"], note="需上级协调")
    assert list(request.department_links.values_list("department", flat=True)) == [w.department.pk]


def test_escalation_takes_the_order_back_from_the_member(w):
    request = _in_state(w, Status.TAKEN)
    services.request_escalate(request=request, actor=w.users["leader"], note="需要社区协调")
    request.refresh_from_db()
    assert request.level == HandlingLevel.COMMUNITY
    assert request.status == Status.ACCEPTED and request.assignee is None


def test_system_escalation_without_actor(w):
    request = submit(w)
    services.request_escalate(request=request, actor=None)
    event = request.events.get(kind=EventKind.ESCALATED)
    assert event.actor is None and event.actor_role == "system"


def test_departments_acknowledge_report_and_resolve_together(w):
    request = at_level(w, HandlingLevel.DEPARTMENT)
    dept, dept2 = w.users["dept"], w.users["dept2"]
    with pytest.raises(OutOfScope):
        services.department_acknowledge(request=request, department=w.department, actor=dept2)
    services.department_acknowledge(request=request, department=w.department, actor=dept)
    with pytest.raises(IllegalTransition):
        services.department_acknowledge(request=request, department=w.department, actor=dept)
    services.department_report_done(
        request=request, department=w.department, actor=dept, note="路灯已修"
    )
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED  # the other department has not reported yet
    # The resolve button is not for department-level requests.
    with pytest.raises(IllegalTransition):
        services.request_resolve(request=request, actor=w.users["street"], note="x")
    services.department_report_done(
        request=request, department=w.other_department, actor=dept2, note="已走访"
    )
    request.refresh_from_db()
    assert request.status == Status.RESOLVED
    assert "路灯已修" in request.resolution_note and "已走访" in request.resolution_note


def test_department_staff_see_only_requests_escalated_to_them(w):
    mine = at_level(w, HandlingLevel.DEPARTMENT)
    submit(w)
    visible = selectors.requests_visible_to(w.users["dept"])
    assert list(visible) == [mine]
    assert list(selectors.requests_visible_to(w.users["leader_c"])) == []


# --- Rating, closing ----------------------------------------------------------------------------


def test_dissatisfied_reopens_one_level_up(w):
    request = _in_state(w, Status.RESOLVED)
    services.request_rate(request=request, rating=Rating.DISSATISFIED, comment="根本没修")
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED
    assert request.level == HandlingLevel.COMMUNITY
    assert request.reopened_count == 1 and request.assignee is None
    assert kinds(request)[-2:] == [EventKind.RATED, EventKind.REOPENED]


def test_unrated_request_closes_after_seven_days_only(w):
    request = _in_state(w, Status.RESOLVED)
    with pytest.raises(IllegalTransition):
        services.request_close_unrated(request=request)
    ResidentRequest.objects.filter(pk=request.pk).update(
        resolved_at=timezone.now() - datetime.timedelta(days=8)
    )
    assert list(selectors.requests_unrated_due()) == [request]
    services.request_close_unrated(request=request)
    request.refresh_from_db()
    assert request.status == Status.CLOSED and request.rating == ""


def test_overdue_selector_and_flag(w):
    request = submit(w)
    assert not selectors.requests_overdue().exists()
    later = timezone.now() + datetime.timedelta(hours=25)
    assert list(selectors.requests_overdue(later)) == [request]
    ResidentRequest.objects.filter(pk=request.pk).update(
        accept_deadline=timezone.now() - datetime.timedelta(minutes=1)
    )
    services.request_mark_overdue(request=request)
    services.request_mark_overdue(request=request)  # idempotent
    request.refresh_from_db()
    assert request.overdue
    assert request.events.filter(kind=EventKind.OVERDUE).count() == 1


# --- Merge, me too, double submit ---------------------------------------------------------------


def test_merge_moves_the_resident_to_the_other_request(w):
    first = submit(w, submitter_phone="13800000001")
    duplicate = submit(w, submitter_phone="13800000002")
    services.request_merge(request=duplicate, into=first, actor=w.users["leader"])
    first.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate.status == Status.MERGED and duplicate.merged_into == first
    assert first.supporters_count == 1
    assert list(first.supporters.values_list("phone", flat=True)) == ["13800000002"]
    with pytest.raises(IllegalTransition):
        services.request_merge(request=first, into=first, actor=w.users["leader"])


def test_me_too_counts_each_phone_once(w):
    request = submit(w)
    services.request_support(request=request, phone="13700000001")
    with pytest.raises(ApplicationError):
        services.request_support(request=request, phone="13700000001")
    with pytest.raises(ApplicationError):
        services.request_support(request=request, phone=PHONE)
    with pytest.raises(ApplicationError):
        services.request_support(request=request, phone="12345")
    request.refresh_from_db()
    assert request.supporters_count == 1


def test_same_form_token_creates_one_request(w):
    first = submit(w, submission_token="token-1")
    again = submit(w, submission_token="token-1")
    assert first.pk == again.pk
    assert ResidentRequest.objects.count() == 1


def test_similar_open_requests_nearby(w):
    here = submit(w)
    near = submit(w, building_index=3)  # ~100 m away
    submit(w, building_index=2)  # 2 km away
    submit(w, category=w.other_category)
    found = selectors.similar_open_requests(building=w.buildings[0], category=w.category)
    assert {r.pk for r in found} == {here.pk, near.pk}


def test_similar_open_requests_are_within_250_metres_most_supported_first(w):
    """The "me too" offer counts 250 m as a circle round the building, not the square that
    holds it, and shows the most supported of the nearby requests first, at most `limit`."""
    base = w.buildings[0]

    def near(north_m, east_m):
        lng_m = 111_320 * math.cos(math.radians(base.lat))
        return Building.objects.create(
            grid=base.grid,
            name=f"{north_m}-{east_m}",
            address=f"测试小区{north_m}-{east_m}",
            lat=base.lat + north_m / 111_320,
            lng=base.lng + east_m / lng_m,
            households=10,
        )

    w.buildings.extend([near(240, 0), near(0, -245), near(190, 190), near(0, 260)])
    inside_north, inside_west = submit(w, building_index=4), submit(w, building_index=5)
    submit(w, building_index=6)  # 269 m to the north-east: in the square, not the circle
    submit(w, building_index=7)  # 260 m east
    here = submit(w)
    ResidentRequest.objects.filter(pk=inside_west.pk).update(supporters_count=3)
    ResidentRequest.objects.filter(pk=here.pk).update(supporters_count=1)

    found = selectors.similar_open_requests(building=base, category=w.category)
    assert [r.pk for r in found] == [inside_west.pk, here.pk, inside_north.pk]
    two = selectors.similar_open_requests(building=base, category=w.category, limit=2)
    assert [r.pk for r in two] == [inside_west.pk, here.pk]


def test_events_are_append_only(w):
    event = submit(w).events.first()
    event.public_note = "changed"
    with pytest.raises(ValidationError):
        event.save()


def test_submit_keeps_the_kind_and_the_public_choice_and_refuses_unknown_kinds(w):
    request = submit(w, request_type="suggestion", public_allowed=True)
    request.refresh_from_db()
    assert (request.request_type, request.public_allowed) == ("suggestion", True)
    with pytest.raises(ApplicationError):
        submit(w, submitter_phone="13700003333", request_type="praise")
    assert ResidentRequest.objects.count() == 1
