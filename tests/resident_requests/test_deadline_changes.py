"""延期 and 挂起: an extension or a suspension asked by whoever handles a request, decided by the
level above; the deadline arithmetic (a suspension over a weekend and 国庆), the resident's
timeline and messages, the approvers' to-do, the deadline rounds and the dashboards' on-time
figures."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from core.exceptions import ApplicationError
from core.models import DeadlineBasis
from core.workdays import calendar_seed, deadline_add, hours_between
from dashboards import selectors as dashboard_selectors
from dashboards.selectors import RequestFilter
from notifications.models import Notification
from resident_requests import selectors, services
from resident_requests.models import (
    ChangeStatus,
    DeadlineChange,
    EventKind,
    HandlingLevel,
    RequestEvent,
    ResidentRequest,
    Status,
)
from resident_requests.todo import todo_for

from .factories import PHONE, at_level, category, submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


TZ = ZoneInfo("Asia/Shanghai")
WORKING = DeadlineBasis.WORKING


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TZ)


def rows_of(user):
    return {(row.action, row.code) for row in todo_for(user).rows}


def taken(w, *, level=HandlingLevel.GRID):
    request = at_level(w, level)
    services.request_dispatch(request=request, actor=w.users["leader"], assignee=w.members[0])
    services.request_take(request=request, actor=w.members[0].user)
    request.refresh_from_db()
    return request


def snapshot(request):
    """What a refused action must leave as it was."""
    request = ResidentRequest.objects.get(pk=request.pk)
    return (
        request.status,
        request.resolve_deadline,
        request.suspended_since,
        RequestEvent.objects.filter(request=request).count(),
        list(DeadlineChange.objects.filter(request=request).values_list("status", flat=True)),
        Notification.objects.filter(request_id=request.pk).count(),
    )


def refused(call, request, text):
    before = snapshot(request)
    # In English: a page fetched before (the portal's middleware) leaves its language active.
    with pytest.raises(ApplicationError) as info, translation.override("en"):
        call()
    assert text in info.value.message, info.value.message
    assert snapshot(request) == before
    return info.value.message


# --- Extensions -------------------------------------------------------------------------------


def test_the_grid_leaders_extension_is_approved_by_the_community_and_moves_the_deadline(w):
    request = at_level(w, HandlingLevel.GRID)
    before = request.resolve_deadline
    leader, community = w.users["leader"], w.users["community"]

    services.request_extension_ask(request=request, actor=leader, working_days=3, reason="等待配件")
    request.refresh_from_db()
    assert request.resolve_deadline == before  # nothing moves before the decision
    change = DeadlineChange.objects.get(request=request)
    assert (change.status, change.working_days, change.approver_rank) == ("pending", 3, 1)

    # The community has it to approve; the leader does not approve their own.
    assert ("approve_change", request.code) in rows_of(community)
    assert ("approve_change", request.code) not in rows_of(leader)
    refused(
        lambda: services.request_change_approve(request=request, actor=leader),
        request,
        "You asked for this",
    )
    # Another grid's leader is not the level above either.
    with pytest.raises(ApplicationError):
        selectors.transition_role(w.users["leader_b"], request, "approve_change")

    services.request_change_approve(request=request, actor=community, note="同意")
    request.refresh_from_db()
    assert request.resolve_deadline == deadline_add(before, 72, WORKING)
    change.refresh_from_db()
    assert (
        change.status == ChangeStatus.APPROVED and change.new_deadline == request.resolve_deadline
    )
    extended = request.events.get(kind=EventKind.EXTENDED)
    assert extended.deadline == request.resolve_deadline and extended.public_note == "等待配件"
    # The resident hears of it, without the reason staff typed.
    message = Notification.objects.get(
        request_id=request.pk, template_key="request.progress_extended", channel="sms"
    )
    assert message.phone == PHONE
    assert "等待配件" not in str(message.context)
    # Approving twice: nothing waits any more.
    assert ("approve_change", request.code) not in rows_of(community)
    refused(
        lambda: services.request_change_approve(request=request, actor=community),
        request,
        "waits for a decision",
    )


def test_extension_limits_and_bad_input_change_nothing(w, settings):
    settings.REQUEST_DEADLINES = {"extensions_max": 1, "extension_working_days_max": 3}
    request = at_level(w, HandlingLevel.GRID)
    leader, community = w.users["leader"], w.users["community"]

    def ask(days, reason="等待配件"):
        return lambda: services.request_extension_ask(
            request=request, actor=leader, working_days=days, reason=reason
        )

    refused(ask(4), request, "1 to 3 working days")
    refused(ask(0), request, "1 to 3 working days")
    refused(ask("two"), request, "1 to 3 working days")
    refused(ask(2, reason="   "), request, "Give the reason")
    refused(
        lambda: services.request_suspension_ask(request=request, actor=leader, reason=""),
        request,
        "Give the reason",
    )
    ask(2)()
    # One application at a time.
    refused(ask(1), request, "waiting for a decision")
    services.request_change_approve(request=request, actor=community)
    # The limit: one extension in these settings.
    refused(ask(1), request, "has had its 1 extensions")


def test_a_refusal_needs_a_reason_and_stays_off_the_residents_page(client, w):
    request = at_level(w, HandlingLevel.COMMUNITY)
    services.request_extension_ask(
        request=request, actor=w.users["community"], working_days=2, reason="协调物业"
    )
    # Community staff's application is the street's to decide.
    assert ("approve_change", request.code) in rows_of(w.users["street"])
    assert ("approve_change", request.code) not in rows_of(w.users["community"])
    refused(
        lambda: services.request_change_refuse(request=request, actor=w.users["street"], note=""),
        request,
        "Say why you refuse",
    )
    services.request_change_refuse(request=request, actor=w.users["street"], note="先上报")
    assert DeadlineChange.objects.get(request=request).status == ChangeStatus.REFUSED
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("resident_requests:token", args=[request.access_token]))
    text = page.content.decode()
    assert "协调物业" not in text and "先上报" not in text
    assert "Extension asked" not in text and "refused" not in text


def test_the_admin_offers_asking_and_deciding_as_pages(client, w):
    request = at_level(w, HandlingLevel.GRID)
    client.force_login(w.users["leader"])
    url = reverse("admin:resident_requests_residentrequest_transition", args=[request.pk, "extend"])
    # Too many days: the form says so, nothing is asked.
    response = client.post(url, {"working_days": 9, "reason": "等待配件"})
    assert response.status_code == 200 and not DeadlineChange.objects.exists()
    response = client.post(url, {"working_days": 2, "reason": "等待配件"})
    assert response.status_code == 302 and DeadlineChange.objects.count() == 1
    client.force_login(w.users["community"])
    change_page = client.get(
        reverse("admin:resident_requests_residentrequest_change", args=[request.pk])
    )
    approve = reverse(
        "admin:resident_requests_residentrequest_transition", args=[request.pk, "approve_change"]
    )
    assert approve in change_page.content.decode()
    page = client.get(approve)
    assert "等待配件" in page.content.decode()  # the application is shown to the approver
    assert client.post(approve, {"note": ""}).status_code == 302
    assert DeadlineChange.objects.get().status == ChangeStatus.APPROVED


# --- Suspensions ------------------------------------------------------------------------------


def test_a_members_suspension_is_the_grid_leaders_to_approve_and_resume_moves_the_deadline(
    client, w
):
    request = taken(w)
    member = w.members[0].user
    order = reverse("resident_requests:member_order", args=[request.code])
    client.force_login(member)
    page = client.get(order).content.decode()
    assert 'value="suspend"' in page and 'value="extend"' in page
    client.post(order, {"action": "suspend", "reason": ""})  # empty: refused with a message
    assert not DeadlineChange.objects.exists()
    client.post(order, {"action": "suspend", "reason": "等待居民在家"})
    change = DeadlineChange.objects.get()
    assert change.approver_rank == 0  # the grid leader decides a member's
    assert rows_of(w.users["leader"]) >= {("approve_change", request.code)}

    start = timezone.now()
    services.request_change_approve(request=request, actor=w.users["leader"])
    request.refresh_from_db()
    assert request.suspended_since is not None
    assert Notification.objects.filter(
        request_id=request.pk, template_key="request.progress_suspended", phone=PHONE
    ).exists()
    # While suspended nothing moves the request on, and no to-do asks for it.
    refused(
        lambda: services.request_resolve(request=request, actor=member, note="修好了"),
        request,
        "is suspended",
    )
    assert request.code not in {code for _a, code in rows_of(member)}
    assert 'value="resolve"' not in client.get(order).content.decode()

    # Resumed 30 hours after it was suspended (clock hours): the deadline moves by 30 hours.
    deadline = request.resolve_deadline
    paused_at = timezone.now() - datetime.timedelta(hours=30)
    ResidentRequest.objects.filter(pk=request.pk).update(suspended_since=paused_at)
    client.post(order, {"action": "resume"})
    request.refresh_from_db()
    assert request.suspended_since is None
    moved = request.resolve_deadline - deadline
    assert datetime.timedelta(hours=30) <= moved < datetime.timedelta(hours=30, minutes=1)
    assert DeadlineChange.objects.get().resumed_at >= start
    # Resuming what is not suspended: a message, nothing changed.
    refused(
        lambda: services.request_resume(request=request, actor=w.users["leader"]),
        request,
        "is not suspended",
    )


def test_a_suspension_over_a_weekend_and_national_day_counts_working_hours_only(w, monkeypatch):
    calendar_seed(since=2026)
    # Friday 25 September (中秋节) 10:00 to Tuesday 29 September 10:00: Monday's 24 hours and
    # Tuesday's 10 count; the holiday and the weekend do not.
    paused_at, resumed_at = at(2026, 9, 25, 10), at(2026, 9, 29, 10)
    assert hours_between(paused_at, resumed_at, WORKING) == 34
    assert hours_between(paused_at, resumed_at) == 96
    working = category(deadline_basis=WORKING)
    request = submit(w, category=working)
    services.request_accept(request=request, actor=w.users["leader"])
    ResidentRequest.objects.filter(pk=request.pk).update(
        resolve_deadline=at(2026, 9, 30, 12), suspended_since=paused_at
    )
    monkeypatch.setattr("resident_requests.services.timezone.now", lambda: resumed_at)
    services.request_resume(request=request, actor=w.users["leader"])
    request.refresh_from_db()
    # 34 working hours after Wednesday 30 September 12:00: Wednesday's last 12, then 国庆
    # (1-7 October) stops the clock, then Thursday 8 October's first 22.
    assert request.resolve_deadline == at(2026, 10, 8, 22)
    assert request.events.get(kind=EventKind.RESUMED).deadline == at(2026, 10, 8, 22)


def test_a_suspended_request_is_not_overdue_nor_late_on_the_dashboards(w, settings):
    settings.DASHBOARD_SUMMARIES = False
    now = timezone.now()
    suspended = at_level(w, HandlingLevel.GRID)
    late = at_level(w, HandlingLevel.GRID)
    late_before = at_level(w, HandlingLevel.GRID)
    hour = datetime.timedelta(hours=1)
    # Suspended 3 hours ago with 1 hour left: the clock stopped before the deadline.
    ResidentRequest.objects.filter(pk=suspended.pk).update(
        resolve_deadline=now - 2 * hour, suspended_since=now - 3 * hour
    )
    ResidentRequest.objects.filter(pk=late.pk).update(resolve_deadline=now - 2 * hour)
    # Suspended after its deadline had passed: late it stays.
    ResidentRequest.objects.filter(pk=late_before.pk).update(
        resolve_deadline=now - 5 * hour, suspended_since=now - 3 * hour
    )
    overdue = set(selectors.requests_overdue(now).values_list("pk", flat=True))
    assert overdue == {late.pk}
    day = timezone.localdate(now)
    flt = RequestFilter(start=day, end=day, source="live")
    grid = w.grids[0].pk
    assert dashboard_selectors.handling_by_grid(w.street, flt)[grid]["late"] == 2
    assert dashboard_selectors.open_by_grid(w.street, flt)[grid]["overdue_now"] == 2


def test_time_suspended_does_not_count_against_the_on_time_rate(w, monkeypatch, settings):
    settings.DASHBOARD_SUMMARIES = False
    request = at_level(w, HandlingLevel.GRID)
    original = request.resolve_deadline  # 72 clock hours after acceptance
    services.request_suspension_ask(request=request, actor=w.users["leader"], reason="等配件")
    services.request_change_approve(request=request, actor=w.users["community"])
    request.refresh_from_db()
    # Resumed 2 days later, resolved after the original deadline but within the moved one.
    resumed = request.suspended_since + datetime.timedelta(days=2)
    monkeypatch.setattr("resident_requests.services.timezone.now", lambda: resumed)
    services.request_resume(request=request, actor=w.users["leader"])
    done = original + datetime.timedelta(days=1)
    monkeypatch.setattr("resident_requests.services.timezone.now", lambda: done)
    services.request_resolve(request=request, actor=w.users["leader"], note="已更换")
    request.refresh_from_db()
    assert request.resolved_at > original
    day = timezone.localdate(request.created_at)
    figures = dashboard_selectors.handling_by_grid(
        w.street, RequestFilter(start=day, end=day, source="live")
    )[w.grids[0].pk]
    assert (figures["resolved"], figures["on_time"], figures["late"]) == (1, 1, 0)


# --- What the resident reads ------------------------------------------------------------------


def test_the_tracking_and_public_pages_say_it_in_plain_words_redacted(client, w, monkeypatch):
    request = at_level(w, HandlingLevel.GRID)
    leader, community = w.users["leader"], w.users["community"]
    reason = "等待配件，李阿姨电话13800001111"
    services.request_extension_ask(request=request, actor=leader, working_days=2, reason=reason)
    services.request_change_approve(request=request, actor=community)
    services.request_suspension_ask(request=request, actor=leader, reason="等待居民在家")
    services.request_change_approve(request=request, actor=community)
    services.request_resume(request=request, actor=leader)
    services.request_resolve(request=request, actor=leader, note="已更换灯泡")
    services.request_rate(request=request, rating="dissatisfied")
    request.refresh_from_db()
    extended = request.events.get(kind=EventKind.EXTENDED).deadline
    day = timezone.localtime(extended).strftime("%B %-d")

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("resident_requests:token", args=[request.access_token]))
    text = page.content.decode()
    assert f"Time to handle extended to {day}: 等待配件" in text
    assert "Handling paused, the time limit stopped: 等待居民在家" in text
    assert "Handling resumed: to be done by" in text
    assert "Reopened" in text
    assert "13800001111" not in text and "李阿姨电话" not in text
    public = client.get(reverse("resident_requests:public", args=[selectors.public_ref(request)]))
    text = public.content.decode()
    assert f"Time to handle extended to {day}: 等待配件" in text
    assert "13800001111" not in text
    # The staff's record keeps the reason as typed.
    assert DeadlineChange.objects.filter(reason=reason).exists()


def test_the_approvers_to_do_in_a_fixed_number_of_queries(w):
    community = w.users["community"]
    requests = [at_level(w, HandlingLevel.GRID) for _ in range(2)]
    for request in requests:
        services.request_extension_ask(
            request=request, actor=w.users["leader"], working_days=1, reason="等待配件"
        )
    with CaptureQueriesContext(connection) as few:
        todo_for(community)
    requests += [at_level(w, HandlingLevel.GRID) for _ in range(4)]
    for request in requests[2:]:
        services.request_suspension_ask(request=request, actor=w.users["leader"], reason="等待")
    with CaptureQueriesContext(connection) as many:
        todo = todo_for(community)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert {("approve_change", r.code) for r in requests} <= {
        (row.action, row.code) for row in todo.rows
    }
    for row in todo.rows:
        request = ResidentRequest.objects.get(pk=row.request_id)
        assert row.action in {t.name for t in selectors.transitions_available(community, request)}
    # An escalation leaves the grid's application behind: no longer the community's to decide.
    services.request_escalate(request=requests[0], actor=w.users["leader"], note="需要社区协调。")
    assert ("approve_change", requests[0].code) not in rows_of(community)
    assert ResidentRequest.objects.get(pk=requests[0].pk).status == Status.ACCEPTED
