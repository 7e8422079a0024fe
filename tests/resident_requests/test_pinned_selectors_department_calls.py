"""The requests a department was called in on (吹哨报到), in a time window and a state: the
admin list the dashboards' department figures link to ("called in", "reported in", "reported
done" in a week) shows exactly these (found by `make mutants` on resident_requests.selectors,
where no test reached department_called_q)."""

import datetime

import pytest
from django.utils import timezone

from resident_requests import selectors
from resident_requests.models import RequestDepartment, ResidentRequest

from .factories import submit

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)
T0 = timezone.now().replace(microsecond=0) - 10 * 24 * HOUR


def _call(w, request, department, *, at, **fields):
    link = RequestDepartment.objects.create(
        request=request,
        department=department,
        acknowledge_deadline=at + HOUR,
        done_deadline=at + 48 * HOUR,
        **fields,
    )
    RequestDepartment.objects.filter(pk=link.pk).update(created_at=at)
    return request


def _listed(department, **kwargs):
    q = selectors.department_called_q(department.pk, **kwargs)
    return set(ResidentRequest.objects.filter(q).values_list("pk", flat=True))


def test_a_department_sees_the_requests_it_was_called_in_on_and_no_others(w):
    ours = _call(w, submit(w), w.department, at=T0)
    both = _call(w, _call(w, submit(w), w.other_department, at=T0), w.department, at=T0)
    theirs = _call(w, submit(w), w.other_department, at=T0)
    never = submit(w)

    assert _listed(w.department) == {ours.pk, both.pk}
    assert _listed(w.other_department) == {both.pk, theirs.pk}
    assert never.pk not in _listed(w.department) | _listed(w.other_department)


def test_the_window_takes_its_first_moment_and_leaves_out_its_last(w):
    before = _call(w, submit(w), w.department, at=T0 - HOUR)
    first = _call(w, submit(w), w.department, at=T0)
    inside = _call(w, submit(w), w.department, at=T0 + 5 * HOUR)
    last = _call(w, submit(w), w.department, at=T0 + 24 * HOUR)

    window = {"called_from": T0, "called_before": T0 + 24 * HOUR}
    assert _listed(w.department, **window) == {first.pk, inside.pk}
    assert _listed(w.department, called_from=T0) == {first.pk, inside.pk, last.pk}
    assert _listed(w.department, called_before=T0) == {before.pk}


def test_the_window_is_the_departments_own_call_not_another_departments(w):
    # Called in on by the other department inside the window, by ours long before it.
    request = _call(w, submit(w), w.other_department, at=T0)
    _call(w, request, w.department, at=T0 - 5 * 24 * HOUR)

    assert _listed(w.department, called_from=T0 - HOUR) == set()
    assert _listed(w.other_department, called_from=T0 - HOUR) == {request.pk}


def test_reported_in_and_reported_done_count_only_the_calls_in_that_state(w):
    waiting = _call(w, submit(w), w.department, at=T0)
    reported_in = _call(w, submit(w), w.department, at=T0, acknowledged_at=T0 + HOUR)
    done = _call(
        w,
        submit(w),
        w.department,
        at=T0,
        acknowledged_at=T0 + HOUR,
        reported_done_at=T0 + 2 * HOUR,
    )
    # The other department's report on our waiting request does not count for us.
    _call(w, waiting, w.other_department, at=T0, acknowledged_at=T0 + HOUR)

    assert _listed(w.department) == {waiting.pk, reported_in.pk, done.pk}
    assert _listed(w.department, state="acknowledged") == {reported_in.pk, done.pk}
    assert _listed(w.department, state="done") == {done.pk}
    assert _listed(w.department, state="done", called_before=T0) == set()
