""" "Me too" offers open requests within 250 m of the resident's building, measured as a circle on
the earth, not the square the database pre-filters with (found by `make mutants`)."""

import math

import pytest

from grids.models import Building
from resident_requests import selectors

from .factories import submit

pytestmark = pytest.mark.django_db

METRES_PER_DEGREE = 6_371_000 * math.pi / 180


def _at(w, *, north_m: float, east_m: float):
    base = w.buildings[0]
    lng = base.lng + east_m / (METRES_PER_DEGREE * math.cos(math.radians(base.lat)))
    place = Building.objects.create(
        grid=base.grid,
        name=f"{north_m}/{east_m}",
        address=f"测试小区{north_m}/{east_m}",
        lat=base.lat + north_m / METRES_PER_DEGREE,
        lng=lng,
    )
    w.buildings.append(place)
    return submit(w, building_index=len(w.buildings) - 1)


def test_neighbours_within_250_m_in_any_direction_are_offered_and_the_corners_are_not(w):
    north = _at(w, north_m=240, east_m=0)
    east = _at(w, north_m=0, east_m=240)
    south_west = _at(w, north_m=-170, east_m=-170)  # 240 m away
    # Inside the 250 m square around the building but 283 m away: not a neighbour.
    corner = _at(w, north_m=200, east_m=200)

    found = {
        r.pk for r in selectors.similar_open_requests(building=w.buildings[0], category=w.category)
    }

    assert {north.pk, east.pk, south_west.pk} <= found
    assert corner.pk not in found
