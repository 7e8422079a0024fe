import pytest
from rest_framework.test import APIClient

from grids.models import Grid
from organization.models import StaffRole
from tests.organization.factories import chain, staff_user

from .factories import BASE_LAT, BASE_LNG, building, grid_for, service, station

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def stations():
    _, street, [community], [g1] = chain()
    legal = service("legal", "法律援助", "Legal aid")
    near = station(community, north=1, name="近的站", services_offered=[legal])
    far = station(g1, north=10, name="远的站")
    station(g1, north=0, name="关闭的站", active=False)
    return {"near": near, "far": far, "community": community}


def test_stations_list_is_public_and_hides_closed_stations(api, stations):
    response = api.get("/api/v1/stations/")
    assert response.status_code == 200
    assert {row["name"] for row in response.json()} == {"近的站", "远的站"}
    row = next(r for r in response.json() if r["name"] == "近的站")
    assert row["services"] == [{"code": "legal", "name": "法律援助"}]
    assert row["page_url"].endswith(f"/stations/{stations['near'].pk}/")
    assert isinstance(row["open_now"], bool)


def test_stations_can_be_filtered(api, stations):
    assert [r["name"] for r in api.get("/api/v1/stations/?service=legal").json()] == ["近的站"]
    assert [r["name"] for r in api.get("/api/v1/stations/?q=远的").json()] == ["远的站"]
    response = api.get("/api/v1/stations/?community=nonsense")
    assert response.status_code == 400
    assert "community" in response.json()["errors"]


def test_station_detail_has_its_hours(api, stations):
    response = api.get(f"/api/v1/stations/{stations['near'].pk}/")
    assert response.status_code == 200
    assert response.json()["hours"][0] == {
        "weekday": 0, "weekday_display": response.json()["hours"][0]["weekday_display"],
        "opens": "08:30", "closes": "17:30",
    }  # fmt: skip


def test_stations_as_geojson(api, stations):
    response = api.get("/api/v1/stations/geojson/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    data = response.json()
    assert data["type"] == "FeatureCollection"
    feature = next(f for f in data["features"] if f["properties"]["name"] == "近的站")
    assert feature["geometry"] == {
        "type": "Point",
        "coordinates": [BASE_LNG, pytest.approx(BASE_LAT + 0.001)],
    }


def test_nearest_returns_the_walk(api, stations):
    response = api.get("/api/v1/stations/nearest/", {"lat": BASE_LAT, "lng": BASE_LNG, "limit": 1})
    assert response.status_code == 200
    [first] = response.json()["results"]
    assert first["station"]["name"] == "近的站"
    assert first["straight_m"] == pytest.approx(111.195, abs=0.01)
    assert first["walking_minutes"] == 2  # 111.2 m × 1.3 / 80 = 1.8, rounded up


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": "91", "lng": "119"}, "lat"),
        ({"lat": "-90.5", "lng": "119"}, "lat"),
        ({"lat": "abc", "lng": "119"}, "lat"),
        ({"lat": "nan", "lng": "119"}, "lat"),
        ({"lat": "32", "lng": "181"}, "lng"),
        ({"lat": "32", "lng": "东经"}, "lng"),
        ({"lng": "119"}, "lat"),
        ({"lat": "32", "lng": "119", "limit": "51"}, "limit"),
        ({"lat": "32", "lng": "119", "limit": "0"}, "limit"),
        ({"lat": "32", "lng": "119", "limit": "ten"}, "limit"),
    ],
)
def test_nearest_bad_input_is_a_400_naming_the_field(api, params, field):
    response = api.get("/api/v1/stations/nearest/", params)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_building_search_is_public_and_needs_words(api, stations):
    _, _, _, [g] = chain()
    building(grid_for(g), address="东街社区谏电二邨3号楼")
    assert api.get("/api/v1/buildings/search/", {"q": "谏电"}).json()[0]["address"] == (
        "东街社区谏电二邨3号楼"
    )
    response = api.get("/api/v1/buildings/search/", {"q": " "})
    assert response.status_code == 400
    assert "q" in response.json()["errors"]


@pytest.fixture
def two_grids():
    district, street, [community], [ga, gb] = chain(grids=2)
    grid_a, grid_b = grid_for(ga, households=100), grid_for(gb, households=200)
    building(grid_a, north=1)
    building(grid_b, north=2)
    station(community, north=0)
    leader = staff_user(StaffRole.GRID_LEADER, unit=ga)
    return {"a": grid_a, "b": grid_b, "leader": leader, "community": community}


def test_a_grid_leader_sees_and_changes_only_their_grid_in_the_api(api, two_grids):
    a, b = two_grids["a"], two_grids["b"]
    api.force_authenticate(two_grids["leader"])
    assert [g["id"] for g in api.get("/api/v1/grids/").json()["results"]] == [a.pk]
    assert api.get(f"/api/v1/grids/{b.pk}/").status_code == 404
    assert api.patch(f"/api/v1/grids/{b.pk}/", {"households": 1}, format="json").status_code == 404
    assert Grid.objects.get(pk=b.pk).households == 200
    response = api.patch(f"/api/v1/grids/{a.pk}/", {"households": 120}, format="json")
    assert response.status_code == 200
    assert Grid.objects.get(pk=a.pk).households == 120


def test_a_grid_leader_cannot_move_their_grid_to_another_branch(api, two_grids):
    a, b = two_grids["a"], two_grids["b"]
    api.force_authenticate(two_grids["leader"])
    api.patch(f"/api/v1/grids/{a.pk}/", {"unit": b.unit_id}, format="json")
    assert Grid.objects.get(pk=a.pk).unit_id == a.unit_id


def test_coverage_api_is_for_staff_and_scoped(api, two_grids):
    assert api.get("/api/v1/coverage/").status_code in (401, 403)  # anonymous
    api.force_authenticate(two_grids["leader"])
    response = api.get("/api/v1/coverage/")
    assert response.status_code == 200
    data = response.json()
    assert data["unit"]["id"] == two_grids["a"].unit_id
    assert data["summary"]["buildings"] == 1
    other = api.get("/api/v1/coverage/", {"unit": two_grids["b"].unit_id})
    assert other.status_code == 404
    assert api.get("/api/v1/coverage/", {"unit": "x"}).status_code == 400


def test_coverage_api_for_the_community(api, two_grids):
    user = staff_user(StaffRole.COMMUNITY_STAFF, unit=two_grids["community"])
    api.force_authenticate(user)
    data = api.get("/api/v1/coverage/").json()
    assert data["summary"]["buildings"] == 2
    assert data["summary"]["building_share"] == 1.0
    assert [c["unit_id"] for c in data["communities"]] == [two_grids["community"].pk]


def test_department_staff_get_no_coverage(api):
    from organization.models import Department

    dept = Department.objects.create(name="区城市管理局", code="D-CG", level="district")
    user = staff_user(StaffRole.DEPARTMENT_STAFF, department=dept)
    api.force_authenticate(user)
    assert api.get("/api/v1/coverage/").status_code in (401, 403)  # anonymous
