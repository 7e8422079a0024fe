"""What staff read when the portal refuses them, pinned word for word (mutation testing found
these unheld): a note over 2,000 characters; a team that is not an active volunteer team of the
unit handling the request (named by neither team nor person); setting the building of a request
that has one (named, so that staff see which); a fourth photo on a staff entry; a team without a
leader; an order taken by a member it was not dispatched to; escalating from a level that does not
hold the request; acting on a request the level above now handles; acting without signing in."""

import pytest
from django.contrib.auth.models import AnonymousUser

from core.exceptions import ApplicationError, IllegalTransition, OutOfScope
from resident_requests import services
from resident_requests.models import HandlingLevel, ResidentRequest, Status
from resident_requests.photos import photos_clean
from tests.party_work.factories import team as make_team

from .factories import at_level, submit, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_a_note_over_2000_characters_is_refused_in_words(w):
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    with pytest.raises(ApplicationError) as refused:
        services.request_resolve(request=request, actor=w.users["leader"], note="修" * 2001)
    assert refused.value.message == "Keep the note under 2,000 characters."
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED


def test_an_inactive_team_is_refused_without_naming_it(w):
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    team = make_team(w.grids[0], members=[w.members[0]], active=False)
    with pytest.raises(OutOfScope) as refused:
        services.request_dispatch(request=request, actor=w.users["leader"], team=team)
    assert refused.value.message == (
        "The chosen team is not an active volunteer team of the unit handling request "
        f"{request.code}."
    )


def test_setting_the_building_of_a_request_that_has_one_names_the_building(w):
    request = submit(w)
    with pytest.raises(IllegalTransition) as refused:
        services.request_set_building(
            request=request, building=w.buildings[1], actor=w.users["leader"]
        )
    assert refused.value.message == (
        f"Request {request.code} already has its building: {w.buildings[0].address}."
    )
    request.refresh_from_db()
    assert request.building_id == w.buildings[0].pk


def test_a_staff_entry_with_four_photos_is_refused_in_words_and_nothing_is_stored(w):
    four = photos_clean([upload(), upload()]) + photos_clean([upload(), upload()])
    with pytest.raises(ApplicationError) as refused:
        services.request_submit(
            actor=w.users["leader"],
            submitter_name="李阿姨",
            submitter_phone="13912345678",
            building=w.buildings[0],
            category=w.category,
            description="楼道灯坏了。",
            photos=four,
        )
    assert refused.value.message == "Send at most 3 photos."
    assert not ResidentRequest.objects.exists()


def test_a_team_without_a_leader_is_refused_naming_the_team(w):
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    leaderless = make_team(w.grids[0])
    with pytest.raises(ApplicationError) as refused:
        services.request_dispatch(request=request, actor=w.users["leader"], team=leaderless)
    assert refused.value.message == (
        f"{leaderless.name} has no leader to take the order: choose its leader first."
    )


def test_an_order_is_taken_only_by_the_member_it_went_to(w):
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    services.request_dispatch(request=request, actor=w.users["leader"], assignee=w.members[0])
    with pytest.raises(OutOfScope) as refused:
        services.request_take(request=request, actor=w.members[1].user)
    assert refused.value.message == f"Request {request.code} is not dispatched to you."


def test_only_the_level_holding_a_request_escalates_it(w):
    request = at_level(w, HandlingLevel.GRID)
    with pytest.raises(OutOfScope) as refused:
        services.request_escalate(request=request, actor=w.users["street"], note="需上级协调")
    assert refused.value.message == (
        f"Request {request.code} is held at the Grid (网格) level: only the staff of that level "
        "can escalate it."
    )


def test_a_level_below_the_one_handling_a_request_may_not_act_on_it(w):
    request = at_level(w, HandlingLevel.STREET)
    with pytest.raises(OutOfScope) as refused:
        services.request_resolve(request=request, actor=w.users["leader"], note="修好了")
    assert refused.value.message == (
        f"Request {request.code} is now handled at the Street (街道) level: only staff at that "
        "level or above can act on it."
    )


def test_acting_on_a_request_without_signing_in_is_refused_in_words(w):
    request = submit(w)
    with pytest.raises(OutOfScope) as refused:
        services.request_accept(request=request, actor=AnonymousUser())
    assert refused.value.message == "Sign in to act on this request."


def test_resolving_with_four_photos_is_refused_in_words_and_changes_nothing(w):
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    four = photos_clean([upload(), upload()]) + photos_clean([upload(), upload()])
    with pytest.raises(ApplicationError) as refused:
        services.request_resolve(
            request=request, actor=w.users["leader"], note="修好了", photos=four
        )
    assert refused.value.message == "Send at most 3 photos."
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED
    assert not request.photos.exists()
