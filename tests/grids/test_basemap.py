"""The district drawn from the portal's own data: /stations/basemap.geojson and its buildings."""

import gzip
import json

import pytest
from django.urls import reverse

from grids import basemap
from grids.models import Building, Grid
from organization.models import OrgUnit, UnitKind
from tests.organization.factories import unit

from .factories import BASE_LAT, BASE_LNG, station

pytestmark = pytest.mark.django_db

URL = "/stations/basemap.geojson"


def _district(streets: int = 2, communities: int = 2, grids: int = 2, buildings: int = 4):
    """Streets side by side west to east, communities 1.1 km apart, grids 250 m apart, each
    grid's buildings within 100 m of its centre: (district, {community: [buildings]})."""
    district = unit(UnitKind.DISTRICT, name="京口区委")
    placed: dict[OrgUnit, list[Building]] = {}
    for s in range(streets):
        street = unit(UnitKind.STREET, district, name=f"第{s}街道党工委")
        for c in range(communities):
            community = unit(UnitKind.COMMUNITY, street, name=f"街{s}第{c}社区党委")
            placed[community] = []
            for g in range(grids):
                grid_unit = unit(UnitKind.GRID, community, name=f"街{s}社{c}第{g}网格党支部")
                grid = Grid.objects.create(
                    code=grid_unit.code,
                    name=f"街{s}社{c}第{g}网格",
                    community=community,
                    unit=grid_unit,
                )
                for b in range(buildings):
                    placed[community].append(
                        Building.objects.create(
                            grid=grid,
                            name=f"{b}号楼",
                            address=f"街{s}社{c}网{g}小区{b}号楼",
                            lat=BASE_LAT + c * 0.010 + g * 0.00225 + (b % 2) * 0.0008,
                            lng=BASE_LNG + s * 0.012 + (b // 2) * 0.0008,
                        )
                    )
    return district, placed


def _inside(geometry: dict, lng: float, lat: float) -> bool:
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    return any(
        basemap._inside(rings[0], lng, lat)
        and not any(basemap._inside(hole, lng, lat) for hole in rings[1:])
        for rings in polygons
    )


def _features(client, kind: str) -> dict:
    data = client.get(URL).json()
    return {f["properties"]["id"]: f for f in data["features"] if f["properties"]["kind"] == kind}


def test_every_street_and_community_with_buildings_has_an_outline_around_them(client):
    _, placed = _district()
    empty_street = unit(UnitKind.STREET, next(iter(placed)).parent.parent, name="空街道党工委")
    empty_community = unit(UnitKind.COMMUNITY, empty_street, name="空社区党委")

    communities = _features(client, "community")
    streets = _features(client, "street")
    assert set(communities) == {c.pk for c in placed}
    assert set(streets) == {c.parent_id for c in placed}
    assert empty_community.pk not in communities and empty_street.pk not in streets
    for community, buildings in placed.items():
        feature = communities[community.pk]
        # A map names places: the party organization's form is left off.
        assert feature["properties"]["name"] == community.name.removesuffix("党委")
        assert feature["properties"]["parent"] == community.parent_id
        lng, lat = feature["properties"]["label"]
        assert _inside(feature["geometry"], lng, lat)
        for b in buildings:
            assert _inside(feature["geometry"], b.lng, b.lat)
            assert _inside(streets[community.parent_id]["geometry"], b.lng, b.lat)
    assert all(f["properties"]["name"].endswith("街道") for f in streets.values())


def test_derived_neighbours_share_borders_and_do_not_overlap(client):
    _, placed = _district(streets=2, communities=2)
    communities = _features(client, "community")
    grids = _features(client, "grid")
    assert len(grids) == 2 * 2 * 2
    for community, buildings in placed.items():
        for other in placed:
            if other != community:
                geometry = communities[other.pk]["geometry"]
                assert not any(_inside(geometry, b.lng, b.lat) for b in buildings)
        for b in buildings:
            owning = [g for g in grids.values() if _inside(g["geometry"], b.lng, b.lat)]
            assert [g["properties"]["id"] for g in owning] == [b.grid_id]


def test_a_drawn_boundary_is_used_as_given_with_its_name_at_the_centroid(client):
    _, placed = _district(streets=1, communities=2)
    drawn = next(iter(placed))
    ring = [[119.4, 32.1], [119.5, 32.1], [119.5, 32.3], [119.4, 32.3], [119.4, 32.1]]
    OrgUnit.objects.filter(pk=drawn.pk).update(boundary={"type": "Polygon", "coordinates": [ring]})
    feature = _features(client, "community")[drawn.pk]
    assert feature["geometry"] == {"type": "Polygon", "coordinates": [ring]}
    assert feature["properties"]["label"] == [119.45, 32.2]


def test_coordinates_have_at_most_five_decimals(client):
    _district(streets=1, communities=1)
    text = client.get(URL).content.decode()

    def positions(value):
        if isinstance(value, list) and value and isinstance(value[0], int | float):
            yield value
        elif isinstance(value, list):
            for item in value:
                yield from positions(item)

    data = json.loads(text)
    for feature in data["features"]:
        for x, y in positions(feature["geometry"]["coordinates"]):
            assert round(x, 5) == x and round(y, 5) == y


@pytest.mark.parametrize("size", [(1, 1, 1, 2), (3, 4, 3, 6)])
def test_the_endpoint_answers_in_four_queries_whatever_the_size_then_from_the_cache(
    client, django_assert_num_queries, size
):
    streets, communities, grids, buildings = size
    _district(streets=streets, communities=communities, grids=grids, buildings=buildings)
    station(OrgUnit.objects.filter(kind=UnitKind.COMMUNITY).first())
    with django_assert_num_queries(4):
        response = client.get(URL)
    assert response.status_code == 200
    assert len(_kinds(response)["community"]) == streets * communities
    with django_assert_num_queries(0):
        assert client.get(URL).json() == response.json()


def _kinds(response) -> dict[str, list]:
    found: dict[str, list] = {}
    for f in response.json()["features"]:
        found.setdefault(f["properties"]["kind"], []).append(f)
    return found


def test_a_new_building_shows_at_once(client):
    _, placed = _district(streets=1, communities=1)
    client.get(URL)
    street = next(iter(placed)).parent
    community = unit(UnitKind.COMMUNITY, street, name="新社区党委")
    grid_unit = unit(UnitKind.GRID, community)
    grid = Grid.objects.create(
        code=grid_unit.code, name="新网格", community=community, unit=grid_unit
    )
    Building.objects.create(grid=grid, name="1号楼", address="新小区1号楼", lat=32.25, lng=119.5)
    assert community.pk in _features(client, "community")


def test_active_stations_are_drawn_and_closed_ones_are_not(client):
    _, placed = _district(streets=1, communities=1)
    community = next(iter(placed))
    shown = station(community, name="开着的站")
    station(community, name="关掉的站", active=False)
    stations = _features(client, "station")
    assert [s["properties"]["name"] for s in stations.values()] == ["开着的站"]
    assert stations[shown.pk]["geometry"]["coordinates"] == [
        round(shown.lng, 5),
        round(shown.lat, 5),
    ]


def test_the_payload_is_gzipped_for_browsers_that_accept_it(client):
    _district(streets=2, communities=2)
    plain = client.get(URL)
    packed = client.get(URL, headers={"accept-encoding": "gzip, deflate"})
    assert packed["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.content)) == plain.json()
    assert len(packed.content) < len(plain.content) / 3
    assert plain["Content-Type"] == "application/geo+json"
    assert "max-age" in plain["Cache-Control"] and "public" in plain["Cache-Control"]


def test_a_communitys_buildings_come_as_one_multipoint(client, django_assert_num_queries):
    _, placed = _district(streets=1, communities=2)
    community, buildings = next(iter(placed.items()))
    url = reverse("grids:basemap_buildings", args=[community.pk])
    with django_assert_num_queries(1):
        feature = client.get(url).json()
    assert sorted(map(tuple, feature["geometry"]["coordinates"])) == sorted(
        (round(b.lng, 5), round(b.lat, 5)) for b in buildings
    )


def test_an_unknown_community_has_no_buildings_and_nothing_breaks(client):
    response = client.get(reverse("grids:basemap_buildings", args=[999999]))
    assert response.status_code == 200
    assert response.json()["geometry"]["coordinates"] == []
    assert client.get("/stations/basemap/buildings/abc.geojson").status_code == 404


def test_place_names_drop_the_party_organizations_form():
    assert basemap.place_name("正东路街道党工委") == "正东路街道"
    assert basemap.place_name("恒美嘉园社区党总支") == "恒美嘉园社区"
    assert basemap.place_name("党委") == "党委"
