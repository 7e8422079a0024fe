"""'My building is not in the list' in a real browser at a phone's width: tick it, tap the map
where the problem is, send."""

import pytest

from resident_requests.models import ResidentRequest
from tests.grids.factories import BASE_LAT, BASE_LNG

from .factories import world as make_world

pytestmark = pytest.mark.browser


@pytest.fixture
def bw(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MAP_TILE_URL = ""  # no tile server: the map still takes a pin
    # A small district around the test buildings: the map opens on them.
    settings.DISTRICT_BOUNDS = (
        BASE_LAT - 0.002,
        BASE_LNG - 0.002,
        BASE_LAT + 0.002,
        BASE_LNG + 0.002,
    )
    return make_world()


def test_not_listed_pin_on_the_map_at_360_px(bw, phone_page, live_server, tmp_path):
    w, page = bw, phone_page
    page.goto(f"{live_server.url}/requests/new/")
    panel = page.locator("#not-listed-panel")
    assert panel.is_hidden()  # opened only when ticked
    page.fill("#id_building_text", "新盖的7号楼")
    page.check("#id_not_listed")
    assert panel.is_visible()
    page.locator("#pin-map.leaflet-container").wait_for()
    box = page.locator("#pin-map").bounding_box()
    assert box["width"] >= 260 and box["height"] >= 250  # most of the phone: easy to tap
    page.locator("#pin-map").click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    page.locator("#pin-map .leaflet-interactive").first.wait_for()
    assert page.input_value("#id_lat") != "" and page.input_value("#id_lng") != ""
    assert page.locator("#place-message").inner_text().strip() != ""
    page.select_option("#id_category_group", str(w.category.parent_id))
    page.select_option("#id_category", str(w.category.pk))
    page.fill("#id_description", "新楼门口的路灯不亮，晚上很黑")
    page.fill("#id_name", "李阿姨")
    page.fill("#id_phone", "13912345678")
    page.check("#id_consent")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    page.screenshot(path=str(tmp_path / "not-listed.png"), full_page=True)
    page.click("button[data-once]")
    page.locator("#tracking-code").wait_for()
    request = ResidentRequest.objects.get()
    assert request.building is None
    assert request.grid == w.grids[0]  # the tap landed by grid A's buildings
    assert request.lat == pytest.approx(BASE_LAT, abs=0.001)
    assert request.lng == pytest.approx(BASE_LNG, abs=0.001)
    assert request.address == "新盖的7号楼"
    assert not page.console_errors
