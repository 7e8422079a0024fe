"""What the service says when a request without a building gives no usable place, and the
timeline's note of how its grid was found; what transition_run says of input it does not take.
Pinned from mutation testing: the refusals were only checked for their type."""

import pytest

from core.exceptions import ApplicationError
from resident_requests import services
from resident_requests.models import EventKind, ResidentRequest
from tests.grids.factories import BASE_LAT, BASE_LNG, square

from .factories import submit, without_building

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.mark.parametrize(
    ("place", "message"),
    [
        (
            {"lat": BASE_LAT},
            "The map point is incomplete: put the pin on the map again.",
        ),
        (
            {"lat": 40.0, "lng": 116.4},
            "That map point is outside Jingkou district. Put the pin where the problem is, or "
            "write the address instead.",
        ),
        (
            {"address": "", "community": None},
            "Say where the problem is: write the address, or put a pin on the map.",
        ),
        (
            {"address": "不知道在哪里", "community": None},
            "Choose your community from the list, so that the right staff get your request.",
        ),
    ],
)
def test_a_place_that_says_nowhere_is_refused_in_words_and_nothing_is_saved(w, place, message):
    with pytest.raises(ApplicationError) as info:
        without_building(w, **place)
    assert info.value.message == message
    assert not ResidentRequest.objects.exists()


def test_a_community_alone_is_place_enough_and_the_note_says_how_the_grid_was_found(w):
    triaged = without_building(w, address="")
    assert triaged.grid.community_id == w.communities[0].pk
    grid = w.grids[2]
    grid.boundary = square(BASE_LAT + 0.035, BASE_LNG + 0.015)
    grid.save()
    inside = without_building(w, lat=BASE_LAT + 0.0355, lng=BASE_LNG + 0.0151)
    assert inside.events.get(kind=EventKind.SUBMITTED).internal_note == (
        "Building not in the list: the grid was found from the map point (inside its boundary)."
    )
    target = w.buildings[1]
    near = without_building(w, lat=target.lat + 0.0008, lng=target.lng)
    assert near.events.get(kind=EventKind.SUBMITTED).internal_note == (
        f"Building not in the list: the grid was found from the map point, 89 m from "
        f"{target.address}."
    )


def test_a_transition_refuses_input_it_does_not_take_naming_it(w):
    request = submit(w)
    with pytest.raises(ApplicationError) as info:
        services.transition_run(
            name="accept",
            request=request,
            actor=w.users["leader"],
            arguments={"zeta": 1, "alpha": 2},
        )
    assert info.value.message == "Unexpected input for Accept: alpha, zeta."
    request.refresh_from_db()
    assert request.status == "submitted"
