"""What staff read when the portal refuses them, pinned word for word (mutation testing found
these unheld): a note over 2,000 characters; a team that is not an active volunteer team of the
unit handling the request (named by neither team nor person); setting the building of a request
that has one (named, so that staff see which); a fourth photo on a staff entry."""

import pytest
from django.utils import translation

from core.exceptions import ApplicationError, IllegalTransition, OutOfScope
from resident_requests import services
from resident_requests.models import ResidentRequest, Status
from resident_requests.photos import photos_clean
from tests.party_work.factories import team as make_team

from .factories import submit, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


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
