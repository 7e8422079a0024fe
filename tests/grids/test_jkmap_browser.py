"""window.JKMap in chromium: the same datum conversions as grids/datum.py, a station map that is
never blank without tiles, and station dots moved onto GCJ-02 tiles."""

import pytest

from grids.datum import from_wgs84, to_wgs84
from grids.models import Building, Grid
from organization.models import UnitKind
from tests.organization.factories import unit

from .factories import BASE_LAT, BASE_LNG, station

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POINTS = [(32.2044, 119.4553), (31.1774276, 121.5272106), (39.90872, 116.3975), (51.5007, -0.1246)]


def _two_communities():
    district = unit(UnitKind.DISTRICT, name="京口区委")
    street = unit(UnitKind.STREET, district, name="正东路街道党工委")
    communities = []
    for c, name in enumerate(["京口路社区党委", "宝塔山社区党委"]):
        community = unit(UnitKind.COMMUNITY, street, name=name)
        grid_unit = unit(UnitKind.GRID, community)
        grid = Grid.objects.create(
            code=grid_unit.code, name=f"{name}第1网格", community=community, unit=grid_unit
        )
        for b in range(6):
            Building.objects.create(
                grid=grid,
                name=f"{b}号楼",
                address=f"{name}{b}号楼",
                lat=BASE_LAT + c * 0.012 + (b % 3) * 0.0008,
                lng=BASE_LNG + (b // 3) * 0.0008,
            )
        communities.append(community)
    return communities


def test_the_js_conversions_equal_the_python_ones(phone_page, live_server):
    phone_page.goto(f"{live_server.url}/stations/")
    for datum in ("gcj02", "bd09"):
        got = phone_page.evaluate(
            """([points, datum]) => points.map(([lat, lng]) => {
                 const shown = JKMap.datum.fromWgs84(lat, lng, datum);
                 return [shown, JKMap.datum.toWgs84(shown[0], shown[1], datum)];
               })""",
            [POINTS, datum],
        )
        for (lat, lng), (shown, back) in zip(POINTS, got, strict=True):
            assert shown == pytest.approx(list(from_wgs84(lat, lng, datum)), abs=1e-9)
            assert back == pytest.approx(list(to_wgs84(*shown, datum)), abs=1e-9)
            assert back == pytest.approx([lat, lng], abs=1e-8)  # under a millimetre
    assert phone_page.console_errors == []


def test_without_tiles_the_station_map_draws_the_district_with_its_names(phone_page, live_server):
    communities = _two_communities()
    station(communities[0], name="京口路社区党群服务中心")
    page = phone_page
    page.goto(f"{live_server.url}/stations/")
    page.locator('#station-map[data-basemap="drawn"]').wait_for(timeout=15000)
    # The street's and both communities' outlines, drawn as SVG paths under the markers.
    assert page.locator("#station-map .leaflet-jk-base-pane path").count() >= 3
    page.evaluate("JKMap.maps[0].setView([32.206, 119.4504], 14.5, {animate: false})")
    labels = page.locator("#station-map .jk-label.jk-community span")
    labels.first.wait_for(timeout=5000)
    assert sorted(labels.all_inner_texts()) == sorted(["宝塔山社区", "京口路社区"])
    assert all(label.is_visible() for label in labels.all())
    page.evaluate("JKMap.maps[0].setView([32.206, 119.4504], 12, {animate: false})")
    assert page.locator("#station-map .jk-label.jk-street span").all_inner_texts() == ["正东路街道"]
    # The station's own marker stays clickable above the drawn map.
    assert page.locator("#station-map .leaflet-interactive").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.console_errors == []


def test_zoomed_in_the_buildings_appear(desktop_page, live_server):
    _two_communities()
    page = desktop_page
    page.goto(f"{live_server.url}/stations/")
    page.locator('#station-map[data-basemap="drawn"]').wait_for(timeout=15000)
    paths = page.locator("#station-map .leaflet-jk-base-pane path")
    before = paths.count()
    with page.expect_response(lambda r: "/stations/basemap/buildings/" in r.url):
        page.evaluate("JKMap.maps[0].setView([32.2008, 119.4504], 17, {animate: false})")
    page.wait_for_function(
        f"document.querySelectorAll('.leaflet-jk-base-pane path').length >= {before + 6}"
    )
    assert page.console_errors == []


def test_on_gcj02_tiles_stations_are_moved_onto_the_tiles(phone_page, live_server, settings):
    settings.MAP_TILE_URL = f"{live_server.url}/static/favicon.svg?z={{z}}&x={{x}}&y={{y}}"
    settings.MAP_TILE_DATUM = "gcj02"
    communities = _two_communities()
    shown = station(communities[0], name="京口路社区党群服务中心")
    page = phone_page
    page.goto(f"{live_server.url}/stations/")
    page.locator('#station-map[data-basemap="tiles"]').wait_for(timeout=15000)
    assert page.evaluate("JKMap.displayDatum()") == "gcj02"
    drawn = page.evaluate(
        """() => { const found = [];
             JKMap.maps[0].eachLayer(l => { if (l instanceof L.CircleMarker) found.push(l.getLatLng()); });
             return found.map(p => [p.lat, p.lng]); }"""
    )
    assert drawn == [pytest.approx(list(from_wgs84(shown.lat, shown.lng, "gcj02")), abs=1e-9)]
    # A point picked on these tiles comes back as the stored WGS-84 point.
    back = page.evaluate("([lat, lng]) => JKMap.fromDisplay(lat, lng)", drawn[0])
    assert back == pytest.approx([shown.lat, shown.lng], abs=1e-8)
    assert page.locator('#station-map[data-basemap="drawn"]').count() == 0
    assert page.console_errors == []
