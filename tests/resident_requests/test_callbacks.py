"""回访 (call-back) by staff, the one reminder to rate, and the ratings kept per resolution."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from core.exceptions import ApplicationError, IllegalTransition, OutOfScope
from notifications.messages import render
from notifications.models import Notification
from resident_requests import deadlines, services, tasks
from resident_requests.models import (
    EventKind,
    HandlingLevel,
    Rating,
    RatingSource,
    RequestRating,
    ResidentRequest,
    Status,
)
from resident_requests.todo import todo_for

from .factories import PHONE, submit

pytestmark = pytest.mark.django_db

NOTE = "电话回访：李阿姨说灯修好了，手机13912345678"


def resolved(w, *, building_index=0):
    request = submit(w, building_index=building_index)
    leader = w.users["leader"]
    services.request_accept(request=request, actor=leader)
    services.request_resolve(request=request, actor=leader, note="已更换灯泡。")
    request.refresh_from_db()
    return request


def callback(w, request, *, who="community", reached=True, satisfaction="", note=NOTE):
    return services.request_callback(
        request=request,
        actor=w.users[who],
        reached=reached,
        satisfaction=satisfaction,
        note=note,
    )


def counters(request):
    request.refresh_from_db()
    return request.rated_count, request.satisfied_count


# --- The service -------------------------------------------------------------------------------


def test_a_reached_call_back_is_recorded_and_counts_until_the_resident_rates(w):
    request = resolved(w)
    callback(w, request, satisfaction=Rating.SATISFIED)
    request.refresh_from_db()
    assert request.status == Status.RESOLVED  # the resident may still rate it
    event = request.events.get(kind=EventKind.CALLED_BACK)
    assert NOTE in event.internal_note and event.public_note == ""
    assert event.actor == w.users["community"]
    rating = RequestRating.objects.get(request=request)
    assert (rating.resolution, rating.rating, rating.source) == (
        0,
        Rating.SATISFIED,
        RatingSource.CALLBACK,
    )
    assert counters(request) == (1, 1)
    # The resident's own rating replaces what the call-back heard, for the same resolution.
    services.request_rate(request=request, rating=Rating.BASICALLY_SATISFIED)
    rating.refresh_from_db()
    assert (rating.rating, rating.source) == (Rating.BASICALLY_SATISFIED, RatingSource.RESIDENT)
    assert counters(request) == (1, 1)
    assert RequestRating.objects.filter(request=request).count() == 1


def test_a_call_back_on_an_open_request_is_refused_and_changes_nothing(w):
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    events = request.events.count()
    with translation.override("en"), pytest.raises(IllegalTransition) as refused:
        callback(w, request, satisfaction=Rating.SATISFIED)
    assert "is not resolved yet" in refused.value.message
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED
    assert request.events.count() == events
    assert not RequestRating.objects.filter(request=request).exists()


def test_staff_outside_the_area_cannot_call_back(w):
    request = resolved(w)
    with pytest.raises(OutOfScope):
        callback(w, request, who="community2", satisfaction=Rating.SATISFIED)
    assert not request.events.filter(kind=EventKind.CALLED_BACK).exists()


def test_reached_needs_the_resident_s_answer(w):
    request = resolved(w)
    with pytest.raises(ApplicationError):
        callback(w, request, satisfaction="")
    assert not request.events.filter(kind=EventKind.CALLED_BACK).exists()
    assert counters(request) == (0, 0)


def _reopened_fields(request):
    request.refresh_from_db()
    return (
        request.status,
        request.level,
        request.reopened_count,
        request.assignee_id,
        request.resolved_at,
        list(request.events.values_list("kind", flat=True).order_by("-id")[:1]),
    )


def test_an_unsatisfied_call_back_reopens_the_request_as_a_dissatisfied_rating_does(w):
    by_call, by_rating = resolved(w), resolved(w)
    callback(w, by_call, who="leader", satisfaction=Rating.DISSATISFIED)
    services.request_rate(request=by_rating, rating=Rating.DISSATISFIED)
    assert _reopened_fields(by_call) == _reopened_fields(by_rating)
    assert _reopened_fields(by_call)[:3] == (Status.ACCEPTED, HandlingLevel.COMMUNITY, 1)
    assert by_call.events.filter(kind=EventKind.REOPENED).count() == 1
    assert counters(by_call) == counters(by_rating) == (1, 0)


def test_a_call_back_that_did_not_reach_the_resident(w):
    request = resolved(w)
    callback(w, request, reached=False, satisfaction=Rating.DISSATISFIED)
    request.refresh_from_db()
    assert request.status == Status.RESOLVED  # what was not said does not reopen it
    event = request.events.get(kind=EventKind.CALLBACK_NOT_REACHED)
    assert NOTE in event.internal_note
    assert not RequestRating.objects.filter(request=request).exists()
    assert counters(request) == (0, 0)
    # Still to call back, for the community.
    assert ("callback", request.code) in {
        (r.action, r.code) for r in todo_for(w.users["community"]).rows
    }


def test_ratings_are_kept_per_resolution(w):
    request = resolved(w)
    services.request_rate(request=request, rating=Rating.DISSATISFIED)
    request.refresh_from_db()
    services.request_resolve(request=request, actor=w.users["community"], note="重新处理了。")
    request.refresh_from_db()
    services.request_rate(request=request, rating=Rating.SATISFIED)
    rows = list(RequestRating.objects.filter(request=request).values_list("resolution", "rating"))
    assert rows == [(0, Rating.DISSATISFIED), (1, Rating.SATISFIED)]
    assert counters(request) == (2, 1)


# --- The staff's to-do and the admin -----------------------------------------------------------


def test_the_to_do_lists_requests_to_call_back_until_someone_reached_the_resident(w):
    request = resolved(w)
    rows = [r for r in todo_for(w.users["community"]).rows if r.code == request.code]
    assert [r.action for r in rows] == ["callback"]
    assert rows[0].url == reverse(
        "admin:resident_requests_residentrequest_transition", args=[request.pk, "callback"]
    )
    callback(w, request, satisfaction=Rating.SATISFIED)
    assert request.code not in {r.code for r in todo_for(w.users["community"]).rows}


def test_the_to_do_s_call_backs_cost_the_same_queries_however_many(client, w):
    user = w.users["community"]
    client.force_login(user)
    todo = reverse("resident_requests:todo")
    resolved(w)
    client.get(todo)
    with CaptureQueriesContext(connection) as few:
        assert len(todo_for(user).rows) == 1
    with CaptureQueriesContext(connection) as page_few:
        client.get(todo)
    for _ in range(5):
        request = resolved(w)
        callback(w, request, reached=False)  # still to call back
        callback(w, resolved(w), satisfaction=Rating.SATISFIED)  # done
    with CaptureQueriesContext(connection) as many:
        assert len(todo_for(user).rows) == 6
    with CaptureQueriesContext(connection) as page_many:
        client.get(todo)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(page_many.captured_queries) == len(page_few.captured_queries)


def test_a_reopened_then_resolved_request_is_to_call_back_again(w):
    """Its first resolution's rating does not count for the second."""
    request = resolved(w)
    services.request_rate(request=request, rating=Rating.DISSATISFIED)
    services.request_resolve(request=request, actor=w.users["community"], note="重新处理了。")
    assert ("callback", request.code) in {
        (r.action, r.code) for r in todo_for(w.users["community"]).rows
    }


def test_the_admin_offers_the_call_back_and_runs_it(client, w):
    request = resolved(w)
    client.force_login(w.users["community"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    change = reverse("admin:resident_requests_residentrequest_change", args=[request.pk])
    url = reverse(
        "admin:resident_requests_residentrequest_transition", args=[request.pk, "callback"]
    )
    assert url in client.get(change).content.decode()
    # Reached without an answer: the form says so, nothing happens.
    page = client.post(url, {"reached": "1", "satisfaction": "", "note": ""})
    assert page.status_code == 200 and "Say how satisfied the resident is" in page.content.decode()
    assert not request.events.filter(kind=EventKind.CALLED_BACK).exists()
    response = client.post(url, {"reached": "1", "satisfaction": "dissatisfied", "note": NOTE})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED and request.reopened_count == 1
    # The staff's timeline has the call-back with its note.
    page = client.get(change).content.decode()
    assert "The community called back" in page and "李阿姨说灯修好了" in page
    # An accepted request offers no call-back.
    assert url not in client.get(change).content.decode()


# --- The resident's tracking page ---------------------------------------------------------------


def _tracking_page(client, request):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.get(reverse("resident_requests:token", args=[request.access_token]))


def test_the_tracking_page_says_the_community_called_back_without_the_note(client, w):
    request = resolved(w)
    callback(w, request, reached=False)
    page = _tracking_page(client, request).content.decode()
    # A call that reached nobody is the staff's business: not on the resident's page.
    assert "The community called back" not in page and "not reached" not in page
    callback(w, request, satisfaction=Rating.BASICALLY_SATISFIED)
    page = _tracking_page(client, request).content.decode()
    assert "The community called back" in page
    assert "李阿姨说灯修好了" not in page and "13912345678" not in page
    assert "not reached" not in page


def test_open311_updates_leave_out_a_call_back_that_reached_nobody(client, w):
    request = resolved(w)
    callback(w, request, reached=False)
    callback(w, request, satisfaction=Rating.SATISFIED)
    url = reverse("open311:updates", kwargs={"fmt": "json"})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    kinds = {
        update["description"]
        for update in client.get(url, {"service_request_id": request.public_id}).json()
    }
    assert "The community called back" in kinds
    assert not any("not reached" in kind for kind in kinds)


# --- The reminder to rate ------------------------------------------------------------------------


def reminders(request=None):
    rows = Notification.objects.filter(template_key="request.rate_reminder")
    return rows.filter(request_id=request.pk) if request else rows


def resolved_hours_ago(w, hours, **extra):
    request = resolved(w, **extra)
    ResidentRequest.objects.filter(pk=request.pk).update(
        resolved_at=timezone.now() - datetime.timedelta(hours=hours)
    )
    return request


def test_one_reminder_48_hours_after_the_resolution_never_two(w):
    early = resolved_hours_ago(w, 47)
    due = resolved_hours_ago(w, 49)
    assert tasks.send_rating_reminders() == 1
    assert reminders(early).count() == 0
    (row,) = reminders(due)
    assert row.phone == PHONE
    _title, text = render("request.rate_reminder", row.context, "en")
    assert "Please rate it: http" in text
    assert "李阿姨" not in text and PHONE not in text
    # The next rounds: no second reminder, however often they run.
    assert tasks.send_rating_reminders() == 0
    later = timezone.now() + datetime.timedelta(hours=30)
    assert deadlines.rating_reminders_send(now=later) == 1  # `early` only, now due
    assert reminders(due).count() == 1 and reminders(early).count() == 1


def test_no_reminder_to_those_who_rated_or_turned_messages_off(w):
    rated = resolved_hours_ago(w, 49)
    services.request_rate(request=rated, rating=Rating.SATISFIED)
    quiet = resolved_hours_ago(w, 49)
    services.request_set_progress_sms(request=quiet, enabled=False)
    assert tasks.send_rating_reminders() == 0
    assert not reminders().exists()


def test_no_reminder_in_the_day_before_it_closes_unrated(w):
    resolved_hours_ago(w, 24 * 6 + 1)
    assert tasks.send_rating_reminders() == 0


def test_the_reminder_runs_hourly_in_the_daytime():
    entry = settings.CELERY_BEAT_SCHEDULE["requests-rating-reminders"]
    assert entry["task"] == "resident_requests.tasks.send_rating_reminders"
    assert entry["schedule"].hour == set(range(9, 21))


# --- The data migration: ratings from the timelines ----------------------------------------------


def test_the_migration_rebuilds_each_resolution_s_rating_from_the_timeline(w):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("resident_requests.migrations.0016_ratings_from_history")
    twice = resolved(w)
    services.request_rate(request=twice, rating=Rating.DISSATISFIED)
    services.request_resolve(request=twice, actor=w.users["community"], note="重新处理了。")
    services.request_rate(request=twice, rating=Rating.BASICALLY_SATISFIED)
    once = resolved(w)
    services.request_rate(request=once, rating=Rating.SATISFIED)
    unrated = resolved(w)
    # As before the migration: only the latest rating, on the request.
    RequestRating.objects.all().delete()
    ResidentRequest.objects.update(rated_count=0, satisfied_count=0)

    migration.ratings_from_history(apps, None)

    def kept(request):
        return list(request.ratings.values_list("resolution", "rating", "source"))

    assert kept(twice) == [
        (0, Rating.DISSATISFIED, RatingSource.RESIDENT),
        (1, Rating.BASICALLY_SATISFIED, RatingSource.RESIDENT),
    ]
    assert kept(once) == [(0, Rating.SATISFIED, RatingSource.RESIDENT)]
    assert kept(unrated) == []
    assert [counters(r) for r in (twice, once, unrated)] == [(2, 1), (1, 1), (0, 0)]
