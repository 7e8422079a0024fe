"""Workflow rules a user would notice if they broke, each pinned by a test that fails without it."""

import datetime

import pytest
from django.utils import timezone

from core.exceptions import ApplicationError
from resident_requests import selectors, services
from resident_requests.models import EventKind, HandlingLevel, ResidentRequest, Status

from .factories import at_level, submit

pytestmark = pytest.mark.django_db


def _street_level(w, building_index=0):
    return at_level(w, HandlingLevel.STREET, building_index=building_index)


def test_department_staff_see_only_the_requests_their_department_was_called_in_on(w):
    ours = _street_level(w, building_index=0)
    services.request_escalate(
        request=ours, actor=w.users["street"], departments=[w.department], note="需上级协调"
    )
    theirs = _street_level(w, building_index=1)
    services.request_escalate(
        request=theirs, actor=w.users["street"], departments=[w.other_department], note="需上级协调"
    )

    seen = set(selectors.requests_visible_to(w.users["dept"]).values_list("code", flat=True))
    assert ours.code in seen
    assert theirs.code not in seen
    seen_by_other = set(
        selectors.requests_visible_to(w.users["dept2"]).values_list("code", flat=True)
    )
    assert seen_by_other == {theirs.code}


def _dispatched(w):
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    services.request_dispatch(request=request, actor=w.users["leader"], assignee=w.members[0])
    request.refresh_from_db()
    return request


def test_a_party_member_cannot_resolve_an_order_before_taking_it(w):
    request = _dispatched(w)
    member_user = w.members[0].user

    with pytest.raises(ApplicationError):
        services.request_resolve(request=request, actor=member_user, note="修好了")

    request.refresh_from_db()
    assert request.status == Status.DISPATCHED and request.resolved_at is None
    assert not request.events.filter(kind=EventKind.RESOLVED).exists()
    # Once taken, the same member may report it done.
    services.request_take(request=request, actor=member_user)
    services.request_resolve(request=request, actor=member_user, note="修好了")
    request.refresh_from_db()
    assert request.status == Status.RESOLVED


def _in_status(w, status, building_index=0):
    request = submit(w, building_index=building_index)
    leader = w.users["leader"]
    if status == Status.REJECTED:
        services.request_reject(request=request, actor=leader, reason="不属于本网格")
        return ResidentRequest.objects.get(pk=request.pk)
    services.request_accept(request=request, actor=leader)
    if status in (Status.TAKEN, Status.RESOLVED, Status.CLOSED):
        services.request_dispatch(request=request, actor=leader, assignee=w.members[0])
        services.request_take(request=request, actor=w.members[0].user)
    if status in (Status.RESOLVED, Status.CLOSED):
        services.request_resolve(request=request, actor=w.members[0].user, note="已处理")
    if status == Status.CLOSED:
        services.request_rate(request=request, rating="satisfied")
    request = ResidentRequest.objects.get(pk=request.pk)
    assert request.status == status
    return request


@pytest.mark.parametrize("status", [Status.TAKEN, Status.RESOLVED, Status.CLOSED, Status.REJECTED])
def test_only_a_request_not_yet_being_handled_can_be_merged_away(w, status):
    into = submit(w, building_index=3, description="同一盏路灯，昨天也坏了。")
    request = _in_status(w, status)

    with pytest.raises(ApplicationError):
        services.request_merge(request=request, into=into, actor=w.users["leader"])

    request.refresh_from_db()
    assert request.status == status and request.merged_into_id is None
    assert not request.events.filter(kind=EventKind.MERGED).exists()


def test_a_request_closed_without_a_rating_says_so_on_the_residents_timeline(w):
    request = _in_status(w, Status.RESOLVED)
    ResidentRequest.objects.filter(pk=request.pk).update(
        resolved_at=timezone.now() - datetime.timedelta(days=8)
    )

    services.request_close_unrated(request=request)

    request.refresh_from_db()
    assert request.status == Status.CLOSED
    last = list(selectors.public_timeline(request))[-1]
    assert last.kind == EventKind.CLOSED
    assert last.to_status == Status.CLOSED
    assert "7" in last.public_note  # "Closed without a rating after 7 days."
