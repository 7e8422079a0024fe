"""What the workflow says, and whose name its timeline keeps, pinned where a mutation run of
resident_requests/services.py found no test holding it.

Messages are compared with their translation: a changed message has none, so the resident or
the grid leader would read English in a Chinese page.
"""

import datetime

import pytest
from django.utils import timezone
from django.utils.translation import gettext

from core.exceptions import ApplicationError, IllegalTransition
from resident_requests import services
from resident_requests.models import EventKind, Rating, ResidentRequest, Status

from .factories import resolved, submit

pytestmark = pytest.mark.django_db


def _refusal(error_type, call, **kwargs):
    with pytest.raises(error_type) as error:
        call(**kwargs)
    return str(error.value)


@pytest.mark.parametrize(
    "rating, comment, message",
    [
        ("great", "", "Choose one of the ratings."),
        ("satisfied", "好" * 501, "Keep the comment under 500 characters."),
    ],
)
def test_a_refused_rating_says_why_in_chinese(w, rating, comment, message):
    request = resolved(w)
    said = _refusal(
        ApplicationError, services.request_rate, request=request, rating=rating, comment=comment
    )
    assert said == gettext(message) != message
    request.refresh_from_db()
    assert request.status == Status.RESOLVED


def test_merging_into_an_unknown_code_says_so_and_a_merge_keeps_the_staff_s_note(w):
    duplicate, original = submit(w), submit(w, submitter_phone="13700000009")
    leader = w.users["leader"]
    message = "No request with that code in your area. Check the code."
    said = _refusal(
        ApplicationError,
        services.request_merge_by_code,
        request=duplicate,
        into_code="JK-19990101-AAAA",
        actor=leader,
    )
    assert said == gettext(message) != message

    services.request_merge_by_code(
        request=duplicate, into_code=original.code, actor=leader, note="同一处路灯，已合并"
    )

    event = duplicate.events.get(kind=EventKind.MERGED)
    assert event.public_note == "同一处路灯，已合并"
    assert event.actor == leader


def test_following_twice_says_the_phone_already_follows(w):
    request = submit(w)
    services.request_support(request=request, phone="13700000001")
    message = "This phone number is already following this request: you will get its updates."
    said = _refusal(
        ApplicationError, services.request_support, request=request, phone="13700000001"
    )
    assert said == gettext(message) != message


def test_a_staff_member_who_closes_an_unrated_request_is_named_on_its_timeline(w):
    request = resolved(w)
    ResidentRequest.objects.filter(pk=request.pk).update(
        resolved_at=timezone.now() - datetime.timedelta(days=8)
    )
    community = w.users["community"]

    services.request_close_unrated(request=request, actor=community)

    event = request.events.get(kind=EventKind.CLOSED)
    assert event.actor == community
    message = "Closed without a rating after 7 days."
    assert event.public_note == gettext(message) != message


def test_a_reopened_request_says_to_which_level_it_went(w):
    request = resolved(w)
    services.request_rate(request=request, rating="dissatisfied")
    event = request.events.filter(kind=EventKind.REOPENED).get()
    message = "Reopened and handed to the %(level)s level."
    assert event.public_note.startswith(gettext(message).split("%")[0])
    assert gettext(message) != message


def test_overdue_says_which_deadline_passed_and_a_request_not_yet_due_is_refused(w):
    request = submit(w)
    message = "Request %(code)s is not past its deadline."
    said = _refusal(IllegalTransition, services.request_mark_overdue, request=request)
    assert said == gettext(message) % {"code": request.code} != message % {"code": request.code}

    due = timezone.now() - datetime.timedelta(hours=2)
    ResidentRequest.objects.filter(pk=request.pk).update(accept_deadline=due)
    services.request_mark_overdue(request=request)

    event = request.events.get(kind=EventKind.OVERDUE)
    stamp = timezone.localtime(due).strftime("%Y-%m-%d %H:%M")
    assert event.internal_note == gettext("Deadline %(due)s passed.") % {"due": stamp}


def test_an_accepted_request_is_overdue_by_its_resolve_deadline_not_its_accept_one(w):
    """Accepted in time, its accept deadline no longer counts: only the resolve deadline."""
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    ResidentRequest.objects.filter(pk=request.pk).update(
        accept_deadline=timezone.now() - datetime.timedelta(hours=2),
        resolve_deadline=timezone.now() + datetime.timedelta(days=2),
    )

    with pytest.raises(IllegalTransition):
        services.request_mark_overdue(request=request)

    request.refresh_from_db()
    assert request.overdue is False


# --- Refusals and notes of triage, merging and call-backs -------------------------------------


def test_rejecting_or_declining_without_a_reason_says_what_to_give_and_names_who_did_it(w):
    leader, member = w.users["leader"], w.members[0]
    request = submit(w)
    message = "Give the reason for rejecting: the resident will read it."
    said = _refusal(
        ApplicationError, services.request_reject, request=request, actor=leader, reason=" "
    )
    assert said == gettext(message) != message
    services.request_reject(request=request, actor=leader, reason="不属于受理范围")
    assert request.events.get(kind=EventKind.REJECTED).actor == leader
    assert request.events.get(kind=EventKind.REJECTED).internal_note == ""

    other = submit(w, submitter_phone="13700000008")
    services.request_accept(request=other, actor=leader)
    services.request_dispatch(request=other, actor=leader, assignee=member)
    services.request_take(request=other, actor=member.user)
    message = "Say why you cannot take it, so it can be dispatched again."
    said = _refusal(
        ApplicationError, services.request_decline, request=other, actor=member.user, reason=""
    )
    assert said == gettext(message) != message
    services.request_decline(request=other, actor=member.user, reason="临时出差")
    assert other.events.get(kind=EventKind.DECLINED).actor == member.user


def test_a_merge_s_refusals_and_its_default_note_are_translated(w):
    leader = w.users["leader"]
    request, closed = submit(w), submit(w, submitter_phone="13700000007")
    message = "A request cannot be merged into itself."
    said = _refusal(
        IllegalTransition, services.request_merge, request=request, into=request, actor=leader
    )
    assert said == gettext(message) != message

    ResidentRequest.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    closed.refresh_from_db()
    message = "Request %(code)s is %(status)s: merge into a request that is still open."
    said = _refusal(
        ApplicationError, services.request_merge, request=request, into=closed, actor=leader
    )
    args = {"code": closed.code, "status": closed.get_status_display()}
    assert said == gettext(message) % args

    target = submit(w, submitter_phone="13700000006")
    services.request_merge(request=request, into=target, actor=leader)
    message = "The same problem was already reported; it is handled together with it."
    event = request.events.get(kind=EventKind.MERGED)
    assert event.public_note == gettext(message) != message


def test_a_call_back_s_refusals_limits_and_notes(w):
    community = w.users["community"]
    open_request = submit(w)
    message = "Request %(code)s is not resolved yet: call the resident back once it is."
    said = _refusal(
        IllegalTransition,
        services.request_callback,
        request=open_request,
        actor=community,
        reached=False,
    )
    assert said == gettext(message) % {"code": open_request.code}

    request = resolved(w)
    message = "Keep the note under 2,000 characters."
    said = _refusal(
        ApplicationError,
        services.request_callback,
        request=request,
        actor=community,
        reached=False,
        note="记" * 2001,
    )
    assert said == gettext(message) != message
    message = "Say how satisfied the resident is: choose one of the ratings."
    said = _refusal(
        ApplicationError, services.request_callback, request=request, actor=community, reached=True
    )
    assert said == gettext(message) != message
    assert not request.events.filter(kind=EventKind.CALLED_BACK).exists()

    services.request_callback(request=request, actor=community, reached=False, note="记" * 2000)
    event = request.events.get(kind=EventKind.CALLBACK_NOT_REACHED)
    assert event.internal_note == f"{gettext('Not reached.')}\n{'记' * 2000}"
    assert (event.from_status, event.to_status) == (Status.RESOLVED, Status.RESOLVED)
    # Not reached: no rating is kept, whatever satisfaction the form carried.
    services.request_callback(
        request=request, actor=community, reached=False, satisfaction=Rating.SATISFIED
    )
    request.refresh_from_db()
    assert (request.rated_count, request.satisfied_count) == (0, 0)
    assert request.status == Status.RESOLVED
    # Not reached, nothing said: the note is the outcome alone.
    services.request_callback(request=request, actor=community, reached=False)
    latest = request.events.filter(kind=EventKind.CALLBACK_NOT_REACHED).order_by("-pk")[0]
    assert latest.internal_note == gettext("Not reached.")
    # Reached: the note opens with what the resident said.
    services.request_callback(
        request=request, actor=community, reached=True, satisfaction=Rating.SATISFIED, note="好"
    )
    called = request.events.get(kind=EventKind.CALLED_BACK)
    assert called.internal_note == f"{Rating.SATISFIED.label}\n好"
