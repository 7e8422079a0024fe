"""Escalation (吹哨) as staff and residents see it (found by `make mutants`): the level it climbs
to, the member's order it takes back, the fresh deadlines, the timeline's entry, the departments
called in with their own deadlines, and who is told."""

import datetime

import pytest

from core.exceptions import ApplicationError, IllegalTransition
from notifications.models import Notification
from organization.models import StaffRole
from resident_requests import services
from resident_requests.models import (
    ActorRole,
    EventKind,
    HandlingLevel,
    RequestDepartment,
    ResidentRequest,
    Status,
)

from .factories import at_level, category, submit, taken

pytestmark = pytest.mark.django_db

HOURS = datetime.timedelta(hours=1)


def _outbox(request, template_key):
    return Notification.objects.filter(request_id=request.pk, template_key=template_key)


def test_escalating_a_taken_order_hands_it_to_the_community_with_fresh_deadlines(w):
    request = taken(w)
    accept_deadline = request.accept_deadline
    ResidentRequest.objects.filter(pk=request.pk).update(overdue=True)

    services.request_escalate(
        request=request, actor=w.users["leader"], note="需要社区协调", internal_note="物业不配合"
    )

    request.refresh_from_db()
    assert request.level == HandlingLevel.COMMUNITY
    assert request.status == Status.ACCEPTED
    assert request.assignee is None and request.assignee_team is None
    assert request.dispatched_at is None and request.taken_at is None
    assert request.escalated_at is not None
    # A new clock for the community: the category's 72 hours from the escalation.
    assert request.resolve_deadline == request.escalated_at + 72 * HOURS
    assert request.overdue is False
    # The accept deadline is for a submitted request only: an accepted one keeps its own.
    assert request.accept_deadline == accept_deadline

    event = request.events.get(kind=EventKind.ESCALATED)
    assert (event.from_status, event.to_status) == (Status.TAKEN, Status.ACCEPTED)
    assert (event.from_level, event.to_level) == (HandlingLevel.GRID, HandlingLevel.COMMUNITY)
    assert event.actor == w.users["leader"] and event.actor_role == StaffRole.GRID_LEADER
    assert event.public_note == "需要社区协调"
    assert event.internal_note == "物业不配合"

    # The community's staff are told, with the new deadline; the resident hears of progress.
    notice = _outbox(request, "request.escalated").get()
    assert notice.recipient_user == w.users["community"]
    assert _outbox(request, "request.progress_escalated").filter(phone="13912345678").exists()


def test_a_submitted_request_escalated_by_the_system_gets_a_new_accept_deadline(w):
    request = submit(w)
    services.request_escalate(request=request, actor=None)

    request.refresh_from_db()
    assert request.status == Status.SUBMITTED and request.level == HandlingLevel.COMMUNITY
    assert request.accept_deadline == request.escalated_at + 24 * HOURS
    assert request.resolve_deadline == request.escalated_at + 72 * HOURS
    event = request.events.get(kind=EventKind.ESCALATED)
    assert event.actor is None and event.actor_role == ActorRole.SYSTEM
    # Without a note the timeline still says where it went.
    assert event.public_note and request.get_level_display() in event.public_note
    assert event.internal_note == ""


def test_staff_must_say_why_they_escalate(w):
    request = submit(w)
    with pytest.raises(ApplicationError):
        services.request_escalate(request=request, actor=w.users["leader"], note="   ")
    request.refresh_from_db()
    assert request.level == HandlingLevel.GRID
    assert not request.events.filter(kind=EventKind.ESCALATED).exists()


def test_the_street_calls_in_departments_each_with_its_own_deadlines_and_notice(w):
    w.department.contact_phone = "13800000001"
    w.department.save()
    request = at_level(w, HandlingLevel.STREET)
    street = w.users["street"]

    services.request_escalate(
        request=request,
        actor=street,
        note="需上级协调",
        departments=[w.department, w.other_department],
    )

    request.refresh_from_db()
    assert request.level == HandlingLevel.DEPARTMENT and request.status == Status.ACCEPTED
    links = {link.department_id: link for link in request.department_links.all()}
    assert set(links) == {w.department.pk, w.other_department.pk}
    for link in links.values():
        # 24 hours to report in (报到), the request's own deadline to finish their part.
        assert link.acknowledge_deadline == request.escalated_at + 24 * HOURS
        assert link.done_deadline == request.resolve_deadline
        assert link.acknowledged_at is None and link.reported_done_at is None

    called = request.events.filter(kind=EventKind.DEPARTMENT_CALLED).order_by("pk")
    assert [e.department_id for e in called] == [w.department.pk, w.other_department.pk]
    for event in called:
        assert event.actor == street and event.actor_role == StaffRole.STREET_STAFF
        assert event.department.name in event.public_note
    escalated = request.events.get(kind=EventKind.ESCALATED, to_level=HandlingLevel.DEPARTMENT)
    assert escalated.from_level == HandlingLevel.STREET

    # Each department's staff and its contact phone are told; the street's staff are not (it
    # was they who escalated).
    notices = _outbox(request, "request.escalated").filter(created_at__gte=escalated.created_at)
    users = set(notices.exclude(recipient_user=None).values_list("recipient_user", flat=True))
    assert users == {w.users["dept"].pk, w.users["dept2"].pk}
    assert notices.filter(phone="13800000001").exists()


def test_a_request_with_the_departments_can_call_in_only_new_ones(w):
    request = at_level(w, HandlingLevel.STREET)
    services.request_escalate(
        request=request, actor=w.users["street"], note="需上级协调", departments=[w.department]
    )
    request.refresh_from_db()
    level_events = request.events.filter(kind=EventKind.ESCALATED).count()

    services.request_escalate(
        request=request,
        actor=w.users["street"],
        note="还需民政",
        departments=[w.department, w.other_department],
    )

    request.refresh_from_db()
    assert request.level == HandlingLevel.DEPARTMENT
    assert request.events.filter(kind=EventKind.ESCALATED).count() == level_events
    called = request.events.filter(kind=EventKind.DEPARTMENT_CALLED)
    assert sorted(called.values_list("department_id", flat=True)) == sorted(
        [w.department.pk, w.other_department.pk]
    )
    assert RequestDepartment.objects.filter(request=request).count() == 2

    # Calling in only those already taking part is refused and records nothing.
    with pytest.raises(IllegalTransition):
        services.request_escalate(
            request=request,
            actor=w.users["street"],
            note="再催",
            departments=[w.other_department],
        )
    assert request.events.filter(kind=EventKind.DEPARTMENT_CALLED).count() == 2


def test_departments_must_be_named_when_the_category_has_no_default_one(w):
    request = submit(w, category=category())
    leader, community, street = w.users["leader"], w.users["community"], w.users["street"]
    services.request_accept(request=request, actor=leader)
    services.request_escalate(request=request, actor=leader, note="需上级协调")
    services.request_escalate(request=request, actor=community, note="需上级协调")

    with pytest.raises(ApplicationError):
        services.request_escalate(request=request, actor=street, note="需上级协调")

    request.refresh_from_db()
    assert request.level == HandlingLevel.STREET
    assert not request.department_links.exists()
    services.request_escalate(
        request=request, actor=street, note="需上级协调", departments=[w.other_department]
    )
    assert list(request.department_links.values_list("department", flat=True)) == [
        w.other_department.pk
    ]


def test_a_department_already_taking_part_is_not_called_twice(w):
    request = at_level(w, HandlingLevel.STREET)
    services.request_escalate(
        request=request,
        actor=w.users["street"],
        note="需上级协调",
        departments=[w.other_department],
    )
    services.request_escalate(
        request=request,
        actor=w.users["street"],
        note="还需城管",
        departments=[w.other_department, w.department],
    )
    links = list(request.department_links.values_list("department_id", flat=True))
    assert sorted(links) == sorted([w.department.pk, w.other_department.pk])
    called = request.events.filter(kind=EventKind.DEPARTMENT_CALLED, department=w.other_department)
    assert called.count() == 1
