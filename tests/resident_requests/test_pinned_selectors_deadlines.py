"""Which requests and department calls the deadline rounds treat as overdue, and which resolved
requests they close unrated: the rows the hourly task flags, messages and closes (found by
`make mutants` on resident_requests.selectors)."""

import datetime

import pytest
from django.utils import timezone

from resident_requests import selectors
from resident_requests.models import RequestDepartment, ResidentRequest, Status

from .factories import submit

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def _set(request, **fields):
    ResidentRequest.objects.filter(pk=request.pk).update(**fields)
    request.refresh_from_db()
    return request


def _overdue_pks(now):
    return set(selectors.requests_overdue(now).values_list("pk", flat=True))


def test_overdue_counts_the_accept_deadline_only_while_the_request_waits_to_be_accepted(w):
    now = timezone.now()
    waiting = _set(
        submit(w), accept_deadline=now - HOUR, resolve_deadline=now + 48 * HOUR
    )  # not accepted in time
    accepted = _set(
        submit(w),
        status=Status.ACCEPTED,
        accept_deadline=now - HOUR,
        resolve_deadline=now + 48 * HOUR,
    )  # accepted late, but still in time to resolve
    in_time = _set(submit(w), accept_deadline=now + HOUR, resolve_deadline=now + 48 * HOUR)

    assert _overdue_pks(now) == {waiting.pk}
    assert accepted.pk not in _overdue_pks(now) and in_time.pk not in _overdue_pks(now)


def test_overdue_counts_a_passed_resolve_deadline_in_every_open_status(w):
    now = timezone.now()
    late = {}
    for status in (Status.SUBMITTED, Status.ACCEPTED, Status.DISPATCHED, Status.TAKEN):
        late[status] = _set(
            submit(w),
            status=status,
            accept_deadline=now + HOUR,
            resolve_deadline=now - HOUR,
        ).pk
    for status in (Status.RESOLVED, Status.CLOSED, Status.REJECTED, Status.MERGED):
        _set(submit(w), status=status, accept_deadline=now - HOUR, resolve_deadline=now - HOUR)

    assert _overdue_pks(now) == set(late.values())


def test_overdue_leaves_out_requests_already_flagged_and_suspended_ones(w):
    now = timezone.now()
    late = _set(submit(w), status=Status.ACCEPTED, resolve_deadline=now - HOUR)
    _set(submit(w), status=Status.ACCEPTED, resolve_deadline=now - HOUR, overdue=True)
    _set(
        submit(w),
        status=Status.ACCEPTED,
        resolve_deadline=now - HOUR,
        suspended_since=now - 2 * HOUR,
    )

    assert _overdue_pks(now) == {late.pk}


def test_overdue_is_reckoned_at_the_time_given(w):
    now = timezone.now()
    request = _set(submit(w), accept_deadline=now + 2 * HOUR, resolve_deadline=now + 72 * HOUR)

    assert _overdue_pks(now) == set()
    assert _overdue_pks(now + 3 * HOUR) == {request.pk}
    # Without a time: now.
    assert not selectors.requests_overdue().exists()


def test_unrated_resolved_requests_are_due_for_closing_after_seven_days_only(w):
    now = timezone.now()
    old = _set(submit(w), status=Status.RESOLVED, resolved_at=now - datetime.timedelta(days=8))
    _set(submit(w), status=Status.RESOLVED, resolved_at=now - datetime.timedelta(days=1))
    _set(submit(w), status=Status.CLOSED, resolved_at=now - datetime.timedelta(days=8))
    _set(submit(w), status=Status.ACCEPTED, resolved_at=now - datetime.timedelta(days=8))

    assert list(selectors.requests_unrated_due(now)) == [old]
    assert list(selectors.requests_unrated_due()) == [old]
    # Reckoned at the time given: a week later the recent one is due too.
    assert selectors.requests_unrated_due(now + datetime.timedelta(days=7)).count() == 2


def _call(w, request, **fields):
    now = timezone.now()
    values = {"acknowledge_deadline": now + HOUR, "done_deadline": now + 48 * HOUR, **fields}
    return RequestDepartment.objects.create(request=request, department=w.department, **values)


def test_department_calls_overdue_are_those_not_acknowledged_or_not_done_in_time(w):
    now = timezone.now()
    in_time = _call(w, _set(submit(w), status=Status.ACCEPTED))
    not_acknowledged = _call(
        w, _set(submit(w), status=Status.ACCEPTED), acknowledge_deadline=now - HOUR
    )
    acknowledged = _call(
        w,
        _set(submit(w), status=Status.ACCEPTED),
        acknowledge_deadline=now - 2 * HOUR,
        acknowledged_at=now - 3 * HOUR,
    )
    not_done = _call(
        w,
        _set(submit(w), status=Status.ACCEPTED),
        acknowledged_at=now - 3 * HOUR,
        acknowledge_deadline=now - 2 * HOUR,
        done_deadline=now - HOUR,
    )
    done = _call(
        w,
        _set(submit(w), status=Status.ACCEPTED),
        acknowledged_at=now - 3 * HOUR,
        acknowledge_deadline=now - 2 * HOUR,
        done_deadline=now - HOUR,
        reported_done_at=now - 2 * HOUR,
    )

    found = set(selectors.department_links_overdue(now).values_list("pk", flat=True))
    assert found == {not_acknowledged.pk, not_done.pk}
    assert in_time.pk not in found and acknowledged.pk not in found and done.pk not in found
    # Without a time: now.
    assert set(selectors.department_links_overdue().values_list("pk", flat=True)) == found


def test_department_calls_of_closed_or_suspended_requests_are_not_overdue(w):
    now = timezone.now()
    late = {"acknowledge_deadline": now - HOUR, "done_deadline": now - HOUR}
    open_call = _call(w, _set(submit(w), status=Status.ACCEPTED), **late)
    _call(w, _set(submit(w), status=Status.RESOLVED), **late)
    _call(w, _set(submit(w), status=Status.ACCEPTED, suspended_since=now - 2 * HOUR), **late)

    found = set(selectors.department_links_overdue(now).values_list("pk", flat=True))
    assert found == {open_call.pk}
    # Reckoned at the time given: two days on, the one in time is late too.
    in_time = _call(w, _set(submit(w), status=Status.ACCEPTED))
    later = set(selectors.department_links_overdue(now + 3 * HOUR).values_list("pk", flat=True))
    assert later == {open_call.pk, in_time.pk}
