"""What a decision on a deadline leaves behind, pinned (mutation testing found each of these
unheld): who decided, when and with what note; the timeline's row of it, with the status and
level the request had; the departments' deadlines moved with the request's; resuming a
suspension closes that suspension only; an overdue flag cleared only when the new deadline is
ahead. And what the departments read when the portal refuses them."""

import datetime

import pytest
from django.utils import timezone

from core.exceptions import ApplicationError, IllegalTransition, OutOfScope
from grids.models import Building
from resident_requests import services
from resident_requests.models import (
    ChangeKind,
    ChangeStatus,
    DeadlineChange,
    EventKind,
    HandlingLevel,
    RequestDepartment,
    ResidentRequest,
    Status,
)
from tests.grids.factories import building as make_building

from .factories import at_level, submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def _accepted(w) -> ResidentRequest:
    return at_level(w, HandlingLevel.GRID)


def _approve(w, request, note):
    """Approved by the community; without a note, as the admin's button does it."""
    extra = {} if note is None else {"note": note}
    return services.request_change_approve(request=request, actor=w.users["community"], **extra)


def _extended(w, request, note=None):
    services.request_extension_ask(
        request=request, actor=w.users["leader"], working_days=2, reason="等待配件"
    )
    return _approve(w, request, note)


def _suspended(w, request, note=None):
    services.request_suspension_ask(request=request, actor=w.users["leader"], reason="等待居民")
    return _approve(w, request, note)


def _link(w, request, department=None, **fields) -> RequestDepartment:
    now = timezone.now()
    values = {"acknowledge_deadline": now + HOUR, "done_deadline": now + 2 * HOUR, **fields}
    return RequestDepartment.objects.create(
        request=request, department=department or w.department, **values
    )


@pytest.mark.parametrize("kind", ["extension", "suspension"])
def test_the_decision_says_who_decided_when_and_why_and_the_timeline_says_from_where(w, kind):
    request = _accepted(w)
    before = timezone.now()
    decide = _extended if kind == "extension" else _suspended
    decide(w, request, note="  同意，按期跟进  ")
    change = DeadlineChange.objects.get(request=request)
    assert change.status == ChangeStatus.APPROVED
    assert change.decided_by == w.users["community"]
    assert before <= change.decided_at <= timezone.now()
    assert change.decision_note == "同意，按期跟进"
    event = request.events.get(
        kind=EventKind.EXTENDED if kind == "extension" else EventKind.SUSPENDED
    )
    assert event.actor == w.users["community"]
    assert (event.from_status, event.from_level) == (Status.ACCEPTED, HandlingLevel.GRID)
    assert event.internal_note == "同意，按期跟进"


@pytest.mark.parametrize("kind", ["extension", "suspension"])
def test_a_decision_without_a_note_keeps_none_and_a_long_one_is_cut_at_2000(w, kind):
    decide = _extended if kind == "extension" else _suspended
    quiet = _accepted(w)
    decide(w, quiet)
    assert DeadlineChange.objects.get(request=quiet).decision_note == ""
    long_note = _accepted(w)
    decide(w, long_note, note="好" * 2500)
    assert DeadlineChange.objects.get(request=long_note).decision_note == "好" * 2000
    kinds = {"extension": EventKind.EXTENDED, "suspension": EventKind.SUSPENDED}
    assert long_note.events.get(kind=kinds[kind]).internal_note == "好" * 2000


def test_an_extension_clears_the_overdue_flag_and_moves_the_departments_still_at_work(w):
    request = _accepted(w)
    now = timezone.now()
    ResidentRequest.objects.filter(pk=request.pk).update(overdue=True, resolve_deadline=now - HOUR)
    early = _link(w, request, done_deadline=now + HOUR)
    late = _link(w, request, w.other_department, done_deadline=now + 30 * DAY)
    request.refresh_from_db()
    _extended(w, request)
    request.refresh_from_db()
    assert request.resolve_deadline > timezone.now() and not request.overdue
    early.refresh_from_db()
    late.refresh_from_db()
    # A department due earlier gets the new deadline; one due later keeps its own.
    assert early.done_deadline == request.resolve_deadline
    assert late.done_deadline == now + 30 * DAY


def test_the_extensions_left_are_counted_again_when_it_is_approved(w, settings):
    settings.REQUEST_DEADLINES = {"extensions_max": 1, "extension_working_days_max": 3}
    request = _accepted(w)
    services.request_extension_ask(
        request=request, actor=w.users["leader"], working_days=2, reason="等待配件"
    )
    settings.REQUEST_DEADLINES = {"extensions_max": 0, "extension_working_days_max": 3}
    deadline = request.resolve_deadline
    with pytest.raises(ApplicationError) as refused:
        services.request_change_approve(request=request, actor=w.users["community"])
    assert refused.value.message == (
        f"Request {request.code} has had its 0 extensions, the most a request may have: "
        "escalate it, or suspend it if it waits for something."
    )
    request.refresh_from_db()
    assert request.resolve_deadline == deadline
    assert DeadlineChange.objects.get(request=request).status == ChangeStatus.PENDING


def test_a_refusal_needs_its_reason_and_says_who_refused(w):
    request = _accepted(w)
    services.request_extension_ask(
        request=request, actor=w.users["leader"], working_days=2, reason="等待配件"
    )
    community = w.users["community"]
    with pytest.raises(ApplicationError) as refused:
        services.request_change_refuse(request=request, actor=community, note="  ")
    assert refused.value.message == "Say why you refuse: the applicant will read it."
    before = timezone.now()
    services.request_change_refuse(request=request, actor=community, note=" 材料不全 ")
    change = DeadlineChange.objects.get(request=request)
    assert (change.status, change.decided_by, change.decision_note) == (
        ChangeStatus.REFUSED,
        community,
        "材料不全",
    )
    assert before <= change.decided_at <= timezone.now()
    event = request.events.get(kind=EventKind.CHANGE_REFUSED)
    assert event.actor == community and event.internal_note == "Extension (延期): 材料不全"
    assert (event.from_status, event.from_level) == (Status.ACCEPTED, HandlingLevel.GRID)


def _suspended_for(w, request, hours):
    _suspended(w, request)
    ResidentRequest.objects.filter(pk=request.pk).update(
        suspended_since=timezone.now() - hours * HOUR
    )
    request.refresh_from_db()
    return request


def test_resuming_closes_this_suspension_only_and_the_timeline_says_who_and_from_where(w):
    request = _accepted(w)
    # Kept apart: an approved extension, a refused suspension, and another request's
    # suspension still running.
    _extended(w, request)
    services.request_suspension_ask(request=request, actor=w.users["leader"], reason="等待")
    services.request_change_refuse(request=request, actor=w.users["community"], note="不同意")
    other = _suspended(w, _accepted(w))
    _suspended_for(w, request, 5)
    link = _link(w, request, done_deadline=timezone.now() + HOUR)
    before_link = link.done_deadline

    services.request_resume(request=request, actor=w.users["leader"], note="  居民已在家  ")
    changes = {
        (c.kind, c.status): c.resumed_at for c in DeadlineChange.objects.filter(request=request)
    }
    assert changes[(ChangeKind.SUSPENSION, ChangeStatus.APPROVED)] is not None
    assert changes[(ChangeKind.EXTENSION, ChangeStatus.APPROVED)] is None
    assert changes[(ChangeKind.SUSPENSION, ChangeStatus.REFUSED)] is None
    assert DeadlineChange.objects.get(request=other).resumed_at is None
    event = request.events.get(kind=EventKind.RESUMED)
    assert event.actor == w.users["leader"]
    assert (event.from_status, event.from_level) == (Status.ACCEPTED, HandlingLevel.GRID)
    assert event.internal_note == "居民已在家"
    # The department still at work has its deadline moved by the paused span too.
    link.refresh_from_db()
    assert link.done_deadline - before_link >= 5 * HOUR - datetime.timedelta(minutes=1)

    # A second suspension, resumed: the first keeps the time it was resumed.
    first = DeadlineChange.objects.get(
        request=request, kind=ChangeKind.SUSPENSION, status=ChangeStatus.APPROVED
    ).resumed_at
    _suspended_for(w, request, 1)
    services.request_resume(request=request, actor=w.users["leader"])  # no note
    resumed = DeadlineChange.objects.filter(
        request=request, kind=ChangeKind.SUSPENSION, status=ChangeStatus.APPROVED
    ).order_by("pk")
    assert [c.resumed_at == first for c in resumed] == [True, False]
    assert request.events.filter(kind=EventKind.RESUMED).order_by("-pk")[0].internal_note == ""
    # A third, resumed with a note over the limit: cut at 2,000 characters.
    _suspended_for(w, request, 1)
    services.request_resume(request=request, actor=w.users["leader"], note="好" * 2500)
    assert request.events.filter(kind=EventKind.RESUMED).order_by("-pk")[0].internal_note == (
        "好" * 2000
    )


def test_resuming_clears_the_overdue_flag_only_when_the_moved_deadline_is_ahead(w):
    ahead, behind = _accepted(w), _accepted(w)
    now = timezone.now()
    ResidentRequest.objects.filter(pk=ahead.pk).update(overdue=True, resolve_deadline=now - HOUR)
    ResidentRequest.objects.filter(pk=behind.pk).update(
        overdue=True, resolve_deadline=now - 10 * DAY
    )
    for request in (ahead, behind):
        request.refresh_from_db()
        _suspended_for(w, request, 3)
        services.request_resume(request=request, actor=w.users["leader"])
        request.refresh_from_db()
    assert ahead.resolve_deadline > timezone.now() and not ahead.overdue
    assert behind.resolve_deadline < timezone.now() and behind.overdue


def test_setting_the_building_refuses_in_words_and_records_from_where(w):
    request = services.request_submit(
        submitter_name="李阿姨", submitter_phone="13812345678", building=None,
        category=w.category, description="路灯坏了。", address="京口路边上",
        community=w.communities[0],
    )  # fmt: skip
    gone = make_building(w.grids[0], north=50)
    gone_copy = Building.objects.get(pk=gone.pk)  # delete() clears the key of the one it deletes
    gone.delete()
    with pytest.raises(ApplicationError) as info:
        services.request_set_building(request=request, building=gone_copy, actor=w.users["org"])
    assert info.value.message == "That building no longer exists. Choose another."
    elsewhere = w.buildings[2]  # another community's grid
    with pytest.raises(OutOfScope) as info:
        services.request_set_building(
            request=request, building=elsewhere, actor=w.users["community"]
        )
    assert info.value.message == (
        f"{elsewhere.address} is outside your area: ask the staff of its community to set it."
    )
    status, level = request.status, request.level
    services.request_set_building(request=request, building=w.buildings[0], actor=w.users["org"])
    event = request.events.get(kind=EventKind.LOCATED)
    assert (event.from_status, event.from_level) == (status, level)


def test_what_departments_read_when_refused_and_the_joint_resolution(w):
    request = at_level(w, HandlingLevel.DEPARTMENT)
    dept, dept2 = w.users["dept"], w.users["dept2"]

    def refused(error, call):
        with pytest.raises(error) as info:
            call()
        return info.value.message

    done = services.department_report_done
    assert (
        refused(
            OutOfScope, lambda: done(request=request, department=w.department, actor=None, note="x")
        )
        == "Sign in to act for a department."
    )
    assert (
        refused(
            OutOfScope,
            lambda: done(request=request, department=w.department, actor=dept2, note="x"),
        )
        == f"You do not act for {w.department}."
    )
    alone = at_level(w, HandlingLevel.STREET)
    assert (
        refused(
            OutOfScope, lambda: done(request=alone, department=w.department, actor=dept, note="x")
        )
        == f"{w.department} was not called in on request {alone.code}."
    )
    assert (
        refused(ApplicationError, lambda: done(request=request, department=w.department, actor=dept, note=" "))
        == "Say what your department did: the resident will read it."
    )  # fmt: skip

    done(request=request, department=w.department, actor=dept, note="甲" * 1500)
    assert (
        refused(
            IllegalTransition,
            lambda: done(request=request, department=w.department, actor=dept, note="再报"),
        )
        == f"{w.department} has already reported its part done on request {request.code}."
    )
    done(request=request, department=w.other_department, actor=dept2, note="乙" * 1500)
    request.refresh_from_db()
    assert request.status == Status.RESOLVED
    assert (
        request.resolution_note
        == f"{w.department.name}：{'甲' * 1500}\n{w.other_department.name}：{'乙' * 1500}"[:2000]
    )
    assert len(request.resolution_note) == 2000
    parts = request.events.filter(kind=EventKind.DEPARTMENT_DONE).order_by("pk")
    assert [event.actor for event in parts] == [dept, dept2]
    resolved = request.events.get(kind=EventKind.RESOLVED)
    assert resolved.public_note == "Every department has reported its part done."
    assert resolved.actor == dept2
    # Reported by the second department, which had not reported in: it has now.
    link = RequestDepartment.objects.get(request=request, department=w.other_department)
    assert link.acknowledged_by == dept2 and link.reported_done_by == dept2


def test_a_submitted_request_is_refused_for_departments_in_words(w):
    request = submit(w)
    with pytest.raises(OutOfScope) as info:
        services.department_acknowledge(
            request=request, department=w.department, actor=w.users["dept"]
        )
    assert info.value.message == f"{w.department} was not called in on request {request.code}."
