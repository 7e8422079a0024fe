"""Asking for an extension or a suspension, pinned (mutation testing found each of these unheld):
a second application while one waits is refused in words and nothing is added; a reason over
500 characters is refused in words; who decides the application of a superuser (the level above
the request's, not the top), of street staff (the level above the street's) and of the district
(the district: there is nothing above it); a party member's application ends with their order."""

import pytest
from django.contrib.auth import get_user_model

from core.exceptions import ApplicationError
from resident_requests import selectors, services
from resident_requests.models import ActorRole, ChangeStatus, DeadlineChange, HandlingLevel

from .factories import at_level, taken

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_a_second_application_while_one_waits_is_refused_and_adds_nothing(w):
    request = at_level(w, HandlingLevel.GRID)
    services.request_extension_ask(
        request=request, actor=w.users["leader"], working_days=2, reason="等待配件"
    )
    with pytest.raises(ApplicationError) as refused:
        services.request_suspension_ask(request=request, actor=w.users["leader"], reason="等居民")
    assert refused.value.message == (
        f"Request {request.code} already has an extension or suspension waiting for a "
        "decision: wait for it."
    )
    statuses = DeadlineChange.objects.filter(request=request).values_list("status", flat=True)
    assert list(statuses) == [ChangeStatus.PENDING]


def test_an_application_left_behind_by_an_escalation_lapses_when_the_next_level_asks(w):
    request = at_level(w, HandlingLevel.GRID)
    services.request_extension_ask(
        request=request, actor=w.users["leader"], working_days=2, reason="等待配件"
    )
    services.request_escalate(request=request, actor=w.users["leader"], note="需上级协调")
    services.request_suspension_ask(request=request, actor=w.users["community"], reason="等居民")
    changes = DeadlineChange.objects.filter(request=request).order_by("pk")
    assert [(c.kind, c.status) for c in changes] == [
        ("extension", ChangeStatus.LAPSED),
        ("suspension", ChangeStatus.PENDING),
    ]


def test_a_reason_over_500_characters_is_refused_in_words(w):
    request = at_level(w, HandlingLevel.GRID)
    with pytest.raises(ApplicationError) as refused:
        services.request_suspension_ask(request=request, actor=w.users["leader"], reason="等" * 501)
    assert refused.value.message == "Keep the reason under 500 characters."
    assert not DeadlineChange.objects.filter(request=request).exists()


def test_a_superusers_application_is_decided_by_the_level_above_the_requests(w):
    root = get_user_model().objects.create_superuser("root", password="pw-for-tests-123")
    request = at_level(w, HandlingLevel.GRID)
    services.request_extension_ask(request=request, actor=root, working_days=2, reason="等待配件")
    assert DeadlineChange.objects.get(request=request).approver_rank == 1
    # So the community decides it, as it would a grid leader's.
    services.request_change_approve(request=request, actor=w.users["community"])
    assert DeadlineChange.objects.get(request=request).status == ChangeStatus.APPROVED


def test_street_staffs_application_is_decided_above_the_street(w):
    request = at_level(w, HandlingLevel.COMMUNITY)
    services.request_suspension_ask(request=request, actor=w.users["street"], reason="等待居民")
    # The request is at the community, the applicant at the street: the district decides.
    assert DeadlineChange.objects.get(request=request).approver_rank == 3


def test_the_districts_application_is_decided_at_the_district(w):
    request = at_level(w, HandlingLevel.GRID)
    services.request_suspension_ask(request=request, actor=w.users["org"], reason="等待居民")
    assert DeadlineChange.objects.get(request=request).approver_rank == 3


def test_a_party_members_application_ends_with_their_order(w):
    request = taken(w)
    member = w.members[0]
    services.request_extension_ask(
        request=request, actor=member.user, working_days=2, reason="等待配件"
    )
    change = DeadlineChange.objects.get(request=request)
    assert change.asked_role == ActorRole.PARTY_MEMBER
    request.refresh_from_db()
    assert selectors.pending_change_of(request) == change
    services.request_decline(request=request, actor=member.user, reason="出差了")
    request.refresh_from_db()
    assert selectors.pending_change_of(request) is None
