"""Where a place is (grids.selectors.grid_for_point, grid_for_address, place_for_request) and
the polygon test behind it (grids.geo.polygon_contains)."""

import pytest

from grids import geo, selectors
from tests.grids.factories import BASE_LAT, BASE_LNG, building, grid_for, square
from tests.organization.factories import chain

# One thousandth of a degree of latitude is 111.195 m (tests/grids/factories.py).
M_PER_MILLI = 111.195


def test_polygon_contains_respects_holes_and_multipolygons():
    outer = square(32.2, 119.45, 0.01)["coordinates"][0]
    hole = square(32.2, 119.45, 0.002)["coordinates"][0]
    donut = {"type": "Polygon", "coordinates": [outer, hole]}
    assert geo.polygon_contains(donut, 32.207, 119.45)
    assert not geo.polygon_contains(donut, 32.2, 119.45)  # in the hole
    assert not geo.polygon_contains(donut, 32.22, 119.45)
    multi = {
        "type": "MultiPolygon",
        "coordinates": [[hole], [square(32.3, 119.5, 0.01)["coordinates"][0]]],
    }
    assert geo.polygon_contains(multi, 32.2, 119.45) and geo.polygon_contains(multi, 32.305, 119.5)
    assert not geo.polygon_contains({"type": "Point", "coordinates": [119.45, 32.2]}, 32.2, 119.45)


@pytest.fixture
def grids(db):
    _district, _street, communities, units = chain(communities=2, grids=1)
    return [grid_for(u) for u in units], communities


def test_a_point_inside_an_outline_belongs_to_that_grid_before_any_nearer_building(grids):
    (a, b), _communities = grids
    building(a, north=0.5)  # 56 m from the point
    b.boundary = square(BASE_LAT, BASE_LNG, 0.003)
    b.save()
    match = selectors.grid_for_point(BASE_LAT, BASE_LNG)
    assert match.grid == b and match.how == selectors.PlaceFound.BOUNDARY


def test_else_the_nearest_building_within_300_m(grids, django_assert_num_queries):
    (a, b), _communities = grids
    building(a, north=2.5)  # 278 m north
    near_b = building(b, north=-2.0)  # 222 m south
    for i in range(20):  # far away: the bounding box keeps them out of the query's rows
        building(a, north=50 + i)
    with django_assert_num_queries(2):
        match = selectors.grid_for_point(BASE_LAT, BASE_LNG)
    assert match.grid == b and match.building == near_b
    assert match.metres == pytest.approx(2.0 * M_PER_MILLI, rel=1e-3)
    # 2.8 thousandths (311 m) is too far.
    assert selectors.grid_for_point(BASE_LAT + 0.0053, BASE_LNG) is None


def test_address_match_prefers_the_grid_with_most_matching_buildings(grids):
    (a, b), (c1, c2) = grids
    building(a, address="恒美嘉园1号楼")
    building(b, address="恒美嘉园2号楼")
    building(b, address="恒美嘉园3号楼")
    assert selectors.grid_for_address("京口区恒美嘉园15号楼302") == b
    assert selectors.grid_for_address("恒美嘉园15号楼", community=c1) == a
    assert selectors.grid_for_address("没有这个地方", community=c2) == b  # its first grid
    assert selectors.grid_for_address("没有这个地方") is None
    assert selectors.grid_for_address("   ") is None


def test_place_for_request_falls_back_to_the_community(grids, settings):
    (a, b), (c1, c2) = grids
    b.center_lat, b.center_lng = BASE_LAT + 0.05, BASE_LNG
    b.save()
    match = selectors.place_for_request(lat=BASE_LAT, lng=BASE_LNG, community=c1)
    assert match.grid == a and match.how == selectors.PlaceFound.COMMUNITY
    # A point far from every building, no community: the nearest grid centre's community.
    match = selectors.place_for_request(lat=BASE_LAT + 0.04, lng=BASE_LNG)
    assert match.grid == b and match.how == selectors.PlaceFound.COMMUNITY
    assert selectors.place_for_request(address="没有这个地方") is None


def test_district_bounds_come_from_the_settings(settings):
    settings.DISTRICT_BOUNDS = (32.0, 119.0, 32.5, 120.0)
    assert selectors.point_in_district(32.2, 119.45)
    assert not selectors.point_in_district(31.23, 121.47)  # Shanghai
    assert not selectors.point_in_district(32.2, 120.01)
