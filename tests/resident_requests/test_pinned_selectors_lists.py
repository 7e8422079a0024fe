"""The lists a party member and a resident see: a member's orders (only theirs, last dispatched
first) with the note written for them, and "my requests" by phone (reported or supported, newest
first, which are the phone's own) (found by `make mutants` on resident_requests.selectors)."""

import datetime

import pytest
from django.utils import timezone

from resident_requests import selectors, services
from resident_requests.models import RequestSupporter, ResidentRequest

from .factories import member, submit

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def _set(request, **fields):
    ResidentRequest.objects.filter(pk=request.pk).update(**fields)
    return request


def test_a_member_sees_only_their_orders_last_dispatched_first(w):
    person, other = w.members[0], w.members[1]
    now = timezone.now()
    earlier = _set(submit(w), assignee=person, dispatched_at=now - 2 * HOUR)
    # Reported long before, dispatched last: the dispatch orders the list.
    later = _set(submit(w), assignee=person, dispatched_at=now - HOUR, created_at=now - 10 * HOUR)
    # Dispatched at the same moment: the newer request first.
    same_old = _set(submit(w), assignee=person, dispatched_at=now - 3 * HOUR)
    same_new = _set(submit(w), assignee=person, dispatched_at=now - 3 * HOUR)
    _set(same_old, created_at=now - 5 * HOUR)
    _set(same_new, created_at=now - 4 * HOUR)
    _set(submit(w), assignee=other, dispatched_at=now)
    submit(w)  # not dispatched

    assert [r.pk for r in selectors.requests_for_member(person)] == [
        later.pk,
        earlier.pk,
        same_new.pk,
        same_old.pk,
    ]


def test_the_order_page_note_is_the_one_written_for_that_member_at_the_last_dispatch(w):
    leader = w.users["leader"]
    first, second = w.members[0], member(w.grids[0].unit)
    request = submit(w)
    services.request_accept(request=request, actor=leader)
    services.request_dispatch(request=request, actor=leader, assignee=first, note="给老张：带梯子")
    services.request_decline(request=request, actor=first.user, reason="这周出差")
    services.request_dispatch(
        request=request, actor=leader, assignee=second, note="给老李：先看现场"
    )

    assert selectors.dispatch_note_for(request, first) == "给老张：带梯子"
    assert selectors.dispatch_note_for(request, second) == "给老李：先看现场"
    assert selectors.dispatch_note_for(request, w.members[2]) == ""


def test_my_requests_by_phone_are_newest_first_and_say_which_the_phone_reported(w):
    phone = "13700001111"
    now = timezone.now()
    # Entered in this order, dated otherwise: the dates order the list.
    newest = _set(submit(w, submitter_phone=phone), created_at=now - HOUR)
    oldest = _set(submit(w, submitter_phone=phone), created_at=now - 3 * HOUR)
    supported = _set(submit(w, submitter_phone="13700002222"), created_at=now - 2 * HOUR)
    RequestSupporter.objects.create(request=supported, phone=phone)
    # Of the same moment: the one entered last first.
    tie_a = _set(submit(w, submitter_phone=phone), created_at=now - 4 * HOUR)
    tie_b = _set(submit(w, submitter_phone=phone), created_at=now - 4 * HOUR)
    submit(w, submitter_phone="13700003333")  # someone else's

    found = selectors.requests_for_phone(phone)

    assert [r.pk for r in found] == [newest.pk, supported.pk, oldest.pk, tie_b.pk, tie_a.pk]
    assert [r.is_mine for r in found] == [True, False, True, True, True]
    assert selectors.requests_for_phone("") == []
