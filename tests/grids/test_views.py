import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from organization.models import StaffRole
from tests.organization.factories import chain, staff_user

from .factories import BASE_LAT, BASE_LNG, building, grid_for, service, station

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def finder():
    _, street, [c1, c2], [g1, g2] = chain(communities=2)
    legal = service("legal", "法律援助", "Legal aid")
    grid = grid_for(g1)
    return {
        "centre": station(c1, name="梦溪社区党群服务中心", services_offered=[legal], grids=[grid]),
        "grid": station(g1, north=3, name="梦溪第1网格党群服务站"),
        "other": station(c2, north=30, name="东街社区党群服务中心"),
        "closed": station(c2, name="已停用的服务站", active=False),
        "building": building(grid, north=1, address="梦溪社区梦溪新村3号楼"),
        "c2": c2,
        "street": street,
    }


def test_the_directory_lists_open_stations_with_a_map(client, finder):
    response = client.get(reverse("grids:station_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    for key in ("centre", "grid", "other"):
        assert finder[key].name in body
    assert "已停用的服务站" not in body
    assert 'id="station-map"' in body and 'id="station-markers"' in body
    assert "vendor/leaflet/leaflet.js" in body
    assert "<script>" not in body  # no inline scripts: JSON data and static files only
    assert len(response.context["markers"]) == 3


def test_the_directory_searches_and_filters(client, finder):
    response = client.get(reverse("grids:station_list"), {"q": "梦溪"})
    assert [s.name for s in response.context["page"]] == [
        "梦溪社区党群服务中心", "梦溪第1网格党群服务站",
    ]  # fmt: skip
    response = client.get(reverse("grids:station_list"), {"community": finder["c2"].pk})
    assert [s.name for s in response.context["page"]] == ["东街社区党群服务中心"]
    response = client.get(reverse("grids:station_list"), {"service": "legal"})
    assert [s.name for s in response.context["page"]] == ["梦溪社区党群服务中心"]
    response = client.get(reverse("grids:station_list"), {"community": "abc", "q": "东街"})
    assert response.status_code == 200  # a bad filter is left out, the others still apply
    assert [s.name for s in response.context["page"]] == ["东街社区党群服务中心"]


def test_open_now_filter(client, finder, monkeypatch):
    saturday_night = datetime.datetime(2026, 11, 28, 22, tzinfo=SH)
    monkeypatch.setattr(timezone, "now", lambda: saturday_night)
    response = client.get(reverse("grids:station_list"), {"open_now": "on"})
    assert list(response.context["page"]) == []
    monday = datetime.datetime(2026, 11, 23, 10, tzinfo=SH)
    monkeypatch.setattr(timezone, "now", lambda: monday)
    response = client.get(reverse("grids:station_list"), {"open_now": "on"})
    assert len(response.context["page"]) == 3


def test_station_page_shows_hours_services_phone_and_status(client, finder, monkeypatch):
    monday = datetime.datetime(2026, 11, 23, 10, tzinfo=SH)
    monkeypatch.setattr(timezone, "now", lambda: monday)
    response = client.get(reverse("grids:station_detail", args=[finder["centre"].pk]))
    body = response.content.decode()
    assert "梦溪社区党群服务中心" in body
    assert 'href="tel:0511-85000000"' in body
    assert "法律援助" in body
    assert "08:30–17:30" in body
    with translation.override("zh-hans"):
        assert translation.gettext("Open now, until %(time)s") % {"time": "17:30"} in body
    assert response.context["week"][0]["is_today"]


def test_a_closed_station_has_no_public_page(client, finder):
    assert (
        client.get(reverse("grids:station_detail", args=[finder["closed"].pk])).status_code == 404
    )


def test_nearest_from_a_picked_building(client, finder):
    response = client.get(reverse("grids:station_nearest"), {"building": finder["building"].pk})
    results = response.context["results"]
    assert [r.station.name for r in results] == [
        "梦溪社区党群服务中心", "梦溪第1网格党群服务站", "东街社区党群服务中心",
    ]  # fmt: skip


def test_nearest_from_typed_words_goes_straight_to_the_one_building(client, finder):
    response = client.get(reverse("grids:station_nearest"), {"address": "梦溪新村 3号"})
    assert response.context["building"] == finder["building"]
    assert response.context["results"][0].station == finder["centre"]


def test_nearest_from_the_browsers_location(client, finder):
    response = client.get(
        reverse("grids:station_nearest"), {"lat": BASE_LAT + 0.0031, "lng": BASE_LNG}
    )
    assert response.context["results"][0].station == finder["grid"]


def test_nearest_with_a_bad_location_asks_for_the_building(client, finder):
    response = client.get(reverse("grids:station_nearest"), {"lat": "999", "lng": "1"})
    assert response.status_code == 200
    assert response.context["results"] is None


def test_the_coverage_page_needs_a_login_and_a_scope(client, finder):
    url = reverse("grids:coverage")
    assert client.get(url).status_code == 302
    client.force_login(staff_user(StaffRole.COMMUNITY_STAFF, unit=finder["c2"]))
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["report"].summary.buildings == 0  # no building in that community
    assert client.get(url, {"unit": finder["street"].pk}).status_code == 404


def test_the_home_page_links_to_the_station_finder(client):
    assert reverse("grids:station_list") in client.get("/").content.decode()


def test_the_directory_takes_the_same_queries_however_many_stations(client, finder):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("grids:station_list"), {"q": "站"}).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(12):
        station(
            finder["c2"],
            north=i,
            name=f"新建网格站{i}",
            services_offered=[service("rest", "歇脚驿站")],
        )
    assert count() == before
