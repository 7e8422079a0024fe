"""Scope in the admin: the leader of grid A can neither see nor change grid B."""

import pytest
from django.urls import reverse

from grids.models import Building, Grid, ServiceStation
from organization.models import StaffRole
from tests.organization.factories import chain, staff_user

from .factories import building, grid_for, station

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_grids():
    _, street, [community], [ga, gb] = chain(grids=2)
    grid_a, grid_b = grid_for(ga, households=100), grid_for(gb, households=200)
    return {
        "a": grid_a, "b": grid_b, "community": community,
        "building_a": building(grid_a, north=1), "building_b": building(grid_b, north=2),
        "station_a": station(ga, name="甲网格党群服务站"),
        "station_b": station(gb, name="乙网格党群服务站"),
        "leader": staff_user(StaffRole.GRID_LEADER, unit=ga),
    }  # fmt: skip


def _listed(client, name):
    response = client.get(reverse(f"admin:grids_{name}_changelist"))
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def test_a_grid_leader_lists_only_their_grid_buildings_and_stations(client, two_grids):
    client.force_login(two_grids["leader"])
    assert _listed(client, "grid") == {two_grids["a"].pk}
    assert _listed(client, "building") == {two_grids["building_a"].pk}
    assert _listed(client, "servicestation") == {two_grids["station_a"].pk}


def test_a_grid_leader_cannot_open_another_grid(client, two_grids):
    client.force_login(two_grids["leader"])
    b = two_grids["b"]
    response = client.get(reverse("admin:grids_grid_change", args=[b.pk]), follow=True)
    assert response.redirect_chain  # "does not exist": back to the admin index
    assert b.name not in response.content.decode()
    response = client.get(
        reverse("admin:grids_building_change", args=[two_grids["building_b"].pk]), follow=True
    )
    assert two_grids["building_b"].address not in response.content.decode()


def test_a_grid_leader_cannot_change_another_grid(client, two_grids):
    client.force_login(two_grids["leader"])
    b = two_grids["b"]
    client.post(
        reverse("admin:grids_grid_change", args=[b.pk]),
        {"name": "改掉", "households": 1, "population": 1,
         "buildings-TOTAL_FORMS": 0, "buildings-INITIAL_FORMS": 0},
    )  # fmt: skip
    b.refresh_from_db()
    assert (b.name, b.households) == (two_grids["b"].name, 200)
    assert b.name != "改掉"


def test_a_grid_leader_can_change_their_own_grid_but_not_its_branch(client, two_grids):
    client.force_login(two_grids["leader"])
    a = two_grids["a"]
    response = client.post(
        reverse("admin:grids_grid_change", args=[a.pk]),
        {
            "name": "甲网格", "households": 150, "population": 400, "leader": "",
            "center_lat": "", "center_lng": "", "boundary": "",
            "unit": two_grids["b"].unit_id,
            "buildings-TOTAL_FORMS": 0, "buildings-INITIAL_FORMS": 0,
        },
    )  # fmt: skip
    assert response.status_code == 302, response.context["adminform"].form.errors
    a.refresh_from_db()
    assert (a.name, a.households) == ("甲网格", 150)
    assert a.unit_id == two_grids["a"].unit_id


def test_a_grid_leader_cannot_put_a_building_into_another_grid(client, two_grids):
    client.force_login(two_grids["leader"])
    response = client.post(
        reverse("admin:grids_building_add"),
        {
            "name": "9号楼", "address": "测试9号楼", "grid": two_grids["b"].pk,
            "lat": 32.2, "lng": 119.45, "households": 10,
        },
    )  # fmt: skip
    assert response.status_code == 200  # the form comes back with an error
    assert "grid" in response.context["adminform"].form.errors
    assert not Building.objects.filter(name="9号楼").exists()


def test_a_grid_leader_only_views_stations(client, two_grids):
    client.force_login(two_grids["leader"])
    station_a = two_grids["station_a"]
    client.post(
        reverse("admin:grids_servicestation_change", args=[station_a.pk]),
        {"name": "改名", "level": "grid", "owner_unit": station_a.owner_unit_id,
         "address": "x", "lat": 1, "lng": 1},
    )  # fmt: skip
    assert ServiceStation.objects.get(pk=station_a.pk).name == "甲网格党群服务站"


def test_community_staff_edit_a_station_with_its_hours(client, two_grids):
    client.force_login(staff_user(StaffRole.COMMUNITY_STAFF, unit=two_grids["community"]))
    station_b = two_grids["station_b"]
    hours = list(station_b.hours.all())
    data = {
        "name": "乙网格党群服务站", "level": "grid", "owner_unit": station_b.owner_unit_id,
        "active": "on", "address": "京口区梦溪路1号", "lat": 32.2, "lng": 119.45,
        "phone": "0511-85000001", "grids_served": [two_grids["b"].pk], "description": "",
        "is_demonstration": "", "upgraded_year": 2022,
        "hours-TOTAL_FORMS": len(hours) + 1, "hours-INITIAL_FORMS": len(hours),
        "hours-MIN_NUM_FORMS": 0, "hours-MAX_NUM_FORMS": 1000,
    }  # fmt: skip
    for i, h in enumerate(hours):
        data |= {
            f"hours-{i}-id": h.pk, f"hours-{i}-station": station_b.pk,
            f"hours-{i}-weekday": h.weekday, f"hours-{i}-opens": f"{h.opens:%H:%M}",
            f"hours-{i}-closes": f"{h.closes:%H:%M}",
        }  # fmt: skip
    n = len(hours)
    data |= {f"hours-{n}-station": station_b.pk, f"hours-{n}-weekday": 5,
             f"hours-{n}-opens": "20:00", f"hours-{n}-closes": "01:00"}  # fmt: skip
    response = client.post(reverse("admin:grids_servicestation_change", args=[station_b.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    station_b.refresh_from_db()
    assert station_b.upgraded_year == 2022
    assert station_b.hours.filter(weekday=5, opens="20:00").exists()
    assert Grid.objects.count() == 2
