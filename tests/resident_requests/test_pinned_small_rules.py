"""Small rules a resident or staff member would notice, pinned where a mutation run (`make
mutants`, 2026-12-07) found no test holding them: which photo an approval touches, a merge
without a note, the refusal to map a request its resident kept private, the times and the
timeline row a dissatisfied rating leaves, the "me too" references, and a code at the very
moment it runs out."""

import datetime
from unittest import mock

import pytest
from django.utils import timezone
from django.utils.translation import gettext

from core.exceptions import ApplicationError, IllegalTransition
from resident_requests import selectors, services
from resident_requests.models import (
    EventKind,
    HandlingLevel,
    PhotoStage,
    Rating,
    RequestPhoto,
    Status,
)

from .factories import at_level, resolved, submit, upload

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


def test_approving_one_of_two_photos_shows_that_one_only(w):
    request = submit(w)
    first, second = (
        RequestPhoto.objects.create(request=request, stage=PhotoStage.SUBMISSION, image=upload())
        for _ in range(2)
    )

    services.photo_public_set(photo=second, actor=w.users["leader"], approved=True)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.public_approved, second.public_approved) == (False, True)
    assert second.approved_by == w.users["leader"]
    assert list(selectors.public_photos(request)) == [second]


def test_a_merge_without_a_note_tells_the_resident_in_plain_words(w):
    duplicate, original = submit(w), submit(w, submitter_phone="13700000009")

    services.request_merge_by_code(
        request=duplicate, into_code=original.code, actor=w.users["leader"]
    )

    event = duplicate.events.get(kind=EventKind.MERGED)
    assert event.public_note == gettext(
        "The same problem was already reported; it is handled together with it."
    )
    assert event.internal_note == f"→ {original.code}"


def test_a_request_kept_private_is_refused_on_the_map_in_words(w):
    request = submit(w, public_allowed=False)

    with pytest.raises(ApplicationError) as refused:
        services.request_public_map_set(request=request, actor=w.users["leader"], approved=True)

    assert str(refused.value) == f"{request.code}：居民未同意公开显示，不能在公开地图上显示。"
    request.refresh_from_db()
    assert request.public_approved_at is None


def test_a_dissatisfied_rating_hands_it_up_now_and_says_from_which_status(w):
    request = resolved(w)
    before = timezone.now()

    services.request_rate(request=request, rating=Rating.DISSATISFIED, comment="没修好")

    request.refresh_from_db()
    # The admin and the API show when it reached the level above; its deadlines count from then.
    assert request.escalated_at is not None and request.escalated_at >= before
    reopened = request.events.get(kind=EventKind.REOPENED)
    assert (reopened.from_status, reopened.to_status) == (Status.RESOLVED, Status.ACCEPTED)


def test_each_request_offered_for_me_too_has_its_own_reference(w):
    first, second = submit(w), submit(w, submitter_phone="13700000009")
    refs = {selectors.support_ref(first), selectors.support_ref(second)}
    assert len(refs) == 2
    assert selectors.support_ref(first) == selectors.support_ref(first)  # stable across pages


def test_a_phone_code_stops_working_at_the_moment_it_runs_out(w):
    sent_at = timezone.now()
    with mock.patch("resident_requests.services.secrets.randbelow", return_value=123456):
        verification = services.phone_verification_start(phone=PHONE)
    assert verification.expires_at > sent_at

    with (
        mock.patch("django.utils.timezone.now", return_value=verification.expires_at),
        pytest.raises(ApplicationError),
    ):
        services.phone_verification_check(phone=PHONE, code="123456")
    just_before = verification.expires_at - datetime.timedelta(microseconds=1)
    with mock.patch("django.utils.timezone.now", return_value=just_before):
        assert services.phone_verification_check(phone=PHONE, code="123456").used_at is not None


def test_a_dispatch_names_a_member_or_a_team_and_says_so(w):
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])

    with pytest.raises(ApplicationError) as refused:
        services.request_dispatch(request=request, actor=w.users["leader"])

    assert str(refused.value) == f"诉求 {request.code} 只能派给一名党员或一支志愿服务队（二选一）。"
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED


def test_calling_in_the_departments_already_there_is_refused_in_words(w):
    request = at_level(w, HandlingLevel.DEPARTMENT)
    events = request.events.count()

    with pytest.raises(IllegalTransition) as refused:
        services.request_escalate(
            request=request, actor=w.users["street"], departments=[w.department], note="再次吹哨"
        )

    assert str(refused.value) == "这些部门已经在参与办理。"
    assert request.events.count() == events


def test_acting_for_a_department_without_signing_in_is_refused_in_words(w):
    from django.contrib.auth.models import AnonymousUser

    from core.exceptions import OutOfScope

    request = at_level(w, HandlingLevel.DEPARTMENT)
    for nobody in (None, AnonymousUser()):
        with pytest.raises(OutOfScope) as refused:
            selectors.request_department_role(nobody, request)
        assert str(refused.value) == gettext("Sign in to act for a department.")
    assert selectors.request_department_role(w.users["dept"], request)


def test_staff_of_another_area_are_told_it_is_not_theirs(w):
    from core.exceptions import OutOfScope

    request = submit(w)  # grid A's
    with pytest.raises(OutOfScope) as refused:
        selectors.request_staff_role(w.users["leader_c"], request)
    assert str(refused.value) == f"诉求 {request.code} 不在您的辖区内，您不能办理。"
    assert selectors.request_staff_role(w.users["leader"], request)
