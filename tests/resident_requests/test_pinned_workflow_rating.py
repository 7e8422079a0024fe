"""The resident's rating and the closing of a request as residents, staff and the satisfaction
rate see them (found by `make mutants`): what is stored, which ratings close it, the counters
behind 满意率, the timeline, a dissatisfied rating reopening it one level up, closing unrated,
the overdue flag."""

import datetime

import pytest
from django.utils import timezone

from core.exceptions import ApplicationError, IllegalTransition
from resident_requests import services
from resident_requests.models import (
    ActorRole,
    EventKind,
    HandlingLevel,
    Rating,
    RatingSource,
    RequestRating,
    ResidentRequest,
    Status,
)

from .factories import resolved, submit

pytestmark = pytest.mark.django_db


def _counters(request):
    request.refresh_from_db()
    return request.rated_count, request.satisfied_count


@pytest.mark.parametrize("rating", [Rating.SATISFIED, Rating.BASICALLY_SATISFIED])
def test_a_satisfied_rating_closes_the_request_and_counts_as_satisfied(w, rating):
    request = resolved(w)

    services.request_rate(request=request, rating=rating, comment="  谢谢  ")

    request.refresh_from_db()
    assert request.status == Status.CLOSED
    assert request.rating == rating and request.rating_comment == "谢谢"
    assert request.rated_at is not None and request.closed_at == request.rated_at
    assert _counters(request) == (1, 1)
    row = RequestRating.objects.get(request=request)
    assert (row.resolution, row.rating, row.source) == (0, rating, RatingSource.RESIDENT)
    event = request.events.get(kind=EventKind.RATED)
    assert (event.from_status, event.to_status) == (Status.RESOLVED, Status.CLOSED)
    assert event.actor is None and event.actor_role == ActorRole.RESIDENT
    assert "谢谢" in event.public_note and request.get_rating_display() in event.public_note


def test_a_rating_without_a_comment_says_only_the_rating(w):
    request = resolved(w)
    services.request_rate(request=request, rating=Rating.SATISFIED)
    request.refresh_from_db()
    assert request.events.get(kind=EventKind.RATED).public_note == request.get_rating_display()


def test_a_dissatisfied_rating_reopens_one_level_up_and_counts_as_not_satisfied(w):
    request = resolved(w)

    services.request_rate(request=request, rating=Rating.DISSATISFIED, comment="没修好")

    request.refresh_from_db()
    assert request.status == Status.ACCEPTED and request.level == HandlingLevel.COMMUNITY
    assert request.closed_at is None and request.resolved_at is None
    assert request.rating == Rating.DISSATISFIED and request.reopened_count == 1
    assert _counters(request) == (1, 0)
    rated = request.events.get(kind=EventKind.RATED)
    assert (rated.from_status, rated.to_status) == (Status.RESOLVED, Status.RESOLVED)
    reopened = request.events.get(kind=EventKind.REOPENED)
    assert reopened.actor is None and reopened.actor_role == ActorRole.SYSTEM
    assert (reopened.from_level, reopened.to_level) == (
        HandlingLevel.GRID,
        HandlingLevel.COMMUNITY,
    )
    assert request.get_level_display() in reopened.public_note


@pytest.mark.parametrize(
    "rating,comment",
    [("excellent", ""), ("", ""), (Rating.SATISFIED, "很" * 501)],
)
def test_an_unknown_rating_or_a_long_comment_is_refused_and_nothing_changes(w, rating, comment):
    request = resolved(w)
    with pytest.raises(ApplicationError) as refused:
        services.request_rate(request=request, rating=rating, comment=comment)
    assert refused.value.message  # the resident is told what to change
    request.refresh_from_db()
    assert request.status == Status.RESOLVED and request.rating == ""
    assert _counters(request) == (0, 0)
    assert not request.events.filter(kind=EventKind.RATED).exists()


def test_a_comment_of_500_characters_is_kept(w):
    request = resolved(w)
    services.request_rate(request=request, rating=Rating.SATISFIED, comment="好" * 500)
    request.refresh_from_db()
    assert request.rating_comment == "好" * 500


def test_the_resident_s_rating_replaces_a_call_back_s_in_the_satisfaction_counters(w):
    request = resolved(w)
    services.request_callback(
        request=request, actor=w.users["community"], reached=True, satisfaction=Rating.SATISFIED
    )
    assert _counters(request) == (1, 1)

    services.request_rate(request=request, rating=Rating.DISSATISFIED)

    # Still one rating for this resolution, and it is no longer satisfied.
    assert _counters(request) == (1, 0)
    row = RequestRating.objects.get(request=request)
    assert (row.rating, row.source) == (Rating.DISSATISFIED, RatingSource.RESIDENT)


def test_a_call_back_s_satisfied_rating_replaced_by_the_resident_s_counts_once(w):
    request = resolved(w)
    services.request_callback(
        request=request,
        actor=w.users["community"],
        reached=True,
        satisfaction=Rating.BASICALLY_SATISFIED,
    )
    services.request_rate(request=request, rating=Rating.SATISFIED)
    assert _counters(request) == (1, 1)


def test_closing_unrated_records_who_closed_it(w):
    request = resolved(w)
    ResidentRequest.objects.filter(pk=request.pk).update(
        resolved_at=timezone.now() - datetime.timedelta(days=8)
    )
    services.request_close_unrated(request=request)
    request.refresh_from_db()
    assert request.status == Status.CLOSED and request.closed_at is not None
    event = request.events.get(kind=EventKind.CLOSED)
    assert (event.from_status, event.to_status) == (Status.RESOLVED, Status.CLOSED)
    assert event.actor is None and event.actor_role == ActorRole.SYSTEM
    assert event.public_note


def test_overdue_is_flagged_once_its_resolve_deadline_passed(w):
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    request.refresh_from_db()
    with pytest.raises(IllegalTransition):
        services.request_mark_overdue(request=request)
    past = timezone.now() - datetime.timedelta(minutes=1)
    ResidentRequest.objects.filter(pk=request.pk).update(resolve_deadline=past)

    services.request_mark_overdue(request=request)

    request.refresh_from_db()
    assert request.overdue is True
    event = request.events.get(kind=EventKind.OVERDUE)
    assert event.actor_role == ActorRole.SYSTEM and event.to_status == Status.ACCEPTED
    assert timezone.localtime(past).strftime("%Y-%m-%d %H:%M") in event.internal_note


def test_a_submitted_request_is_overdue_by_the_earlier_of_its_two_deadlines(w):
    request = submit(w)
    past = timezone.now() - datetime.timedelta(minutes=1)
    future = timezone.now() + datetime.timedelta(days=3)
    # Accept deadline passed, resolve deadline not yet: overdue.
    ResidentRequest.objects.filter(pk=request.pk).update(
        accept_deadline=past, resolve_deadline=future
    )
    services.request_mark_overdue(request=request)
    request.refresh_from_db()
    assert request.overdue is True


def test_a_closed_request_is_never_flagged_overdue(w):
    request = resolved(w)
    ResidentRequest.objects.filter(pk=request.pk).update(
        resolve_deadline=timezone.now() - datetime.timedelta(days=1)
    )
    services.request_mark_overdue(request=request)
    request.refresh_from_db()
    assert request.overdue is False
    assert not request.events.filter(kind=EventKind.OVERDUE).exists()


def test_a_later_call_back_replaces_the_earlier_one_s_rating(w):
    request = resolved(w)
    community = w.users["community"]
    services.request_callback(
        request=request, actor=community, reached=True, satisfaction=Rating.SATISFIED
    )

    services.request_callback(
        request=request, actor=community, reached=True, satisfaction=Rating.BASICALLY_SATISFIED
    )

    row = RequestRating.objects.get(request=request)
    assert (row.rating, row.source) == (Rating.BASICALLY_SATISFIED, RatingSource.CALLBACK)
    assert _counters(request) == (1, 1)
    assert request.events.filter(kind=EventKind.CALLED_BACK).count() == 2


def test_a_second_call_back_that_says_dissatisfied_reopens_and_counts_as_not_satisfied(w):
    """The rating kept is the one the request acted on: reopened, it is not a satisfied one."""
    request = resolved(w)
    community = w.users["community"]
    services.request_callback(
        request=request, actor=community, reached=True, satisfaction=Rating.SATISFIED
    )

    services.request_callback(
        request=request, actor=community, reached=True, satisfaction=Rating.DISSATISFIED
    )

    request.refresh_from_db()
    assert request.status == Status.ACCEPTED
    assert request.reopened_count == 1
    row = RequestRating.objects.get(request=request, resolution=0)
    assert row.rating == Rating.DISSATISFIED
    assert _counters(request) == (1, 0)


def test_a_call_back_never_replaces_the_resident_s_own_rating(w):
    request = resolved(w)
    services.request_rate(request=request, rating=Rating.BASICALLY_SATISFIED)
    request.refresh_from_db()

    with pytest.raises(IllegalTransition):
        services.request_callback(
            request=request,
            actor=w.users["community"],
            reached=True,
            satisfaction=Rating.SATISFIED,
        )

    row = RequestRating.objects.get(request=request)
    assert (row.rating, row.source) == (Rating.BASICALLY_SATISFIED, RatingSource.RESIDENT)
    assert _counters(request) == (1, 1)
