"""A dissatisfied rating reopens the request one level up (found by `make mutants`): the request
starts a new escalation clock, the timeline says it came back from "resolved", and departments
that had reported their part done must report it again."""

import pytest
from django.utils import timezone

from resident_requests import services
from resident_requests.models import EventKind, HandlingLevel, Rating, Status

from .factories import at_level

pytestmark = pytest.mark.django_db


def test_a_reopened_department_request_needs_every_department_to_report_again(w):
    request = at_level(w, HandlingLevel.DEPARTMENT)
    dept, dept2 = w.users["dept"], w.users["dept2"]
    services.department_report_done(request=request, department=w.department, actor=dept, note="a")
    services.department_report_done(
        request=request, department=w.other_department, actor=dept2, note="b"
    )
    request.refresh_from_db()
    assert request.status == Status.RESOLVED
    before = timezone.now()

    services.request_rate(request=request, rating=Rating.DISSATISFIED, comment="还是不亮")

    request.refresh_from_db()
    assert request.status == Status.ACCEPTED and request.level == HandlingLevel.DEPARTMENT
    assert request.escalated_at is not None and request.escalated_at >= before
    assert not request.department_links.filter(reported_done_at__isnull=False).exists()
    event = request.events.filter(kind=EventKind.REOPENED).get()
    assert event.from_status == Status.RESOLVED and event.to_status == Status.ACCEPTED
    # One department's report is no longer enough to resolve it.
    services.department_report_done(request=request, department=w.department, actor=dept, note="c")
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED


def test_a_reopened_grid_request_climbs_and_starts_a_new_escalation_clock(w):
    request = at_level(w, HandlingLevel.GRID)
    services.request_dispatch(request=request, actor=w.users["leader"], assignee=w.members[0])
    services.request_take(request=request, actor=w.members[0].user)
    services.request_resolve(request=request, actor=w.members[0].user, note="修好了")
    before = timezone.now()

    services.request_rate(request=request, rating=Rating.DISSATISFIED, comment="没修好")

    request.refresh_from_db()
    assert request.level == HandlingLevel.COMMUNITY
    assert request.escalated_at is not None and request.escalated_at >= before
