"""部门报到 and 协同处置 as department staff and residents see them (found by `make mutants`): who
may act for a department, what reporting in and reporting done record, and the resolution the
resident reads once every department has reported."""

import pytest
from django.contrib.auth import get_user_model

from core.exceptions import ApplicationError, IllegalTransition, OutOfScope
from organization.models import Department, DepartmentLevel, StaffRole
from resident_requests import services
from resident_requests.models import EventKind, HandlingLevel, Status

from .factories import at_level

pytestmark = pytest.mark.django_db


def test_reporting_in_records_who_and_when_on_the_timeline(w):
    request = at_level(w, HandlingLevel.DEPARTMENT)
    dept = w.users["dept"]

    link = services.department_acknowledge(
        request=request, department=w.department, actor=dept, note="  已派人查看  "
    )

    link.refresh_from_db()
    assert link.acknowledged_at is not None and link.acknowledged_by == dept
    assert link.reported_done_at is None
    event = request.events.get(kind=EventKind.DEPARTMENT_ACKNOWLEDGED)
    assert event.department == w.department and event.actor == dept
    assert event.actor_role == StaffRole.DEPARTMENT_STAFF
    assert event.public_note == "已派人查看"
    # Without a note the timeline names the department that reported in.
    services.department_acknowledge(
        request=request, department=w.other_department, actor=w.users["dept2"]
    )
    other = request.events.filter(kind=EventKind.DEPARTMENT_ACKNOWLEDGED).latest("pk")
    assert w.other_department.name in other.public_note


def test_a_department_not_called_in_or_an_anonymous_actor_is_refused(w):
    request = at_level(w, HandlingLevel.DEPARTMENT)
    third = Department.objects.create(name="区水务局", code="DW", level=DepartmentLevel.DISTRICT)
    admin = get_user_model().objects.create_superuser("root", password="pw-for-tests-123")

    with pytest.raises(OutOfScope):
        services.department_acknowledge(request=request, department=w.department, actor=None)
    with pytest.raises(OutOfScope):
        services.department_acknowledge(request=request, department=third, actor=admin)
    assert not request.events.filter(kind=EventKind.DEPARTMENT_ACKNOWLEDGED).exists()
    # A superuser may act for any department called in.
    services.department_acknowledge(request=request, department=w.department, actor=admin)
    assert request.events.filter(kind=EventKind.DEPARTMENT_ACKNOWLEDGED).count() == 1


def test_reporting_done_without_reporting_in_counts_as_both_and_waits_for_the_others(w):
    request = at_level(w, HandlingLevel.DEPARTMENT)
    dept = w.users["dept"]

    with pytest.raises(ApplicationError):
        services.department_report_done(
            request=request, department=w.department, actor=dept, note="  "
        )
    link = services.department_report_done(
        request=request, department=w.department, actor=dept, note=" 路灯已修 "
    )

    link.refresh_from_db()
    assert link.acknowledged_by == dept and link.acknowledged_at == link.reported_done_at
    assert link.reported_done_by == dept and link.done_note == "路灯已修"
    done = request.events.get(kind=EventKind.DEPARTMENT_DONE)
    assert done.department == w.department and done.public_note == "路灯已修"
    assert done.actor_role == StaffRole.DEPARTMENT_STAFF
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED and request.resolved_at is None
    assert not request.events.filter(kind=EventKind.RESOLVED).exists()
    with pytest.raises(IllegalTransition):
        services.department_report_done(
            request=request, department=w.department, actor=dept, note="再报一次"
        )


def test_the_last_department_s_report_resolves_with_every_department_s_words(w):
    request = at_level(w, HandlingLevel.DEPARTMENT)
    services.department_acknowledge(request=request, department=w.department, actor=w.users["dept"])
    acknowledged = request.department_links.get(department=w.department).acknowledged_at
    services.department_report_done(
        request=request, department=w.other_department, actor=w.users["dept2"], note="已走访"
    )
    services.department_report_done(
        request=request, department=w.department, actor=w.users["dept"], note="路灯已修"
    )

    request.refresh_from_db()
    assert request.status == Status.RESOLVED and request.resolved_at is not None
    # In the order the departments were called in, each with its name.
    assert (
        request.resolution_note
        == f"{w.department.name}：路灯已修\n{w.other_department.name}：已走访"
    )
    # Reporting done keeps the time the department reported in.
    link = request.department_links.get(department=w.department)
    assert link.acknowledged_at == acknowledged
    resolved = request.events.get(kind=EventKind.RESOLVED)
    assert (resolved.from_status, resolved.to_status) == (Status.ACCEPTED, Status.RESOLVED)
    assert resolved.actor == w.users["dept"]
    assert resolved.actor_role == StaffRole.DEPARTMENT_STAFF and resolved.public_note
