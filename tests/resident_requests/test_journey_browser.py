"""The resident's whole path at a phone's width (360 px), as issue 13 asks for it: the building typed
four ways, a 10 MB phone photo, the receipt SMS in the outbox with the code, a second report whose
building is not listed (a pin on the map), then "my requests" by a code sent by SMS."""

import pytest

from notifications.messages import open_code
from notifications.models import Notification
from resident_requests.models import ResidentRequest
from tests.grids.factories import estates_district

from .factories import category, noise_jpeg

pytestmark = pytest.mark.browser
PHONE = "13912345678"
TARGET = "京口路新村5号楼"


@pytest.fixture
def district(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MAP_TILE_URL = ""  # no tile server: the map still takes a pin
    settings.DISTRICT_BOUNDS = (32.198, 119.448, 32.202, 119.452)  # around the estates
    return estates_district(), category()


def _fill_the_rest(page, cat, description):
    page.select_option("#id_category_group", str(cat.parent_id))
    page.select_option("#id_category", str(cat.pk))
    page.fill("#id_description", description)
    page.fill("#id_name", "张桂英")
    page.fill("#id_phone", PHONE)
    page.check("#id_consent")


def test_the_residents_path_at_360_px(district, phone_page, live_server, tmp_path):
    estates, cat = district
    page = phone_page
    page.goto(f"{live_server.url}/requests/new/")

    # 1. The building, however it is typed, is offered first.
    results = page.locator("#building-results button")
    for typed in ["京口路新村5栋", "京口路新村五号楼", "京口路5号楼", "京口路新村 5号楼"]:
        page.fill("#id_building_text", typed)
        results.first.filter(has_text=TARGET).wait_for()
        assert results.first.inner_text().strip().startswith(TARGET), typed
    results.first.click()
    (five,) = [b for b in estates["新村"] if b.address == TARGET]
    assert page.input_value("#id_building") == str(five.pk)

    # 2. A 10 MB photo straight from the phone's camera is accepted.
    photo = tmp_path / "IMG_20261205_081500.jpg"
    photo.write_bytes(noise_jpeg(4000, 3000, quality=95))
    assert photo.stat().st_size >= 10 * 2**20
    _fill_the_rest(page, cat, "5号楼楼道灯坏了，老人晚上下楼看不见。")
    page.set_input_files("#id_photos", str(photo))
    page.click("button[data-once]")
    code = page.locator("#tracking-code").inner_text().strip()
    first = ResidentRequest.objects.get(code=code)
    assert first.building.address == TARGET and first.photos.count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # 3. The receipt SMS is in the outbox, with the code, for the resident's phone.
    receipt = Notification.objects.get(template_key="request.receipt", request_id=first.pk)
    assert receipt.phone == PHONE and receipt.context["code"] == code

    # 4. A second problem where no building is listed: a pin on the map.
    page.goto(f"{live_server.url}/requests/new/")
    page.fill("#id_building_text", "京口路新村旁边的新菜场")
    page.check("#id_not_listed")
    page.locator("#pin-map.leaflet-container").wait_for()
    box = page.locator("#pin-map").bounding_box()
    page.locator("#pin-map").click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    page.locator("#pin-map .leaflet-interactive").first.wait_for()
    _fill_the_rest(page, cat, "菜场门口的下水道堵了，污水漫到路上。")
    page.click("button[data-once]")
    second = ResidentRequest.objects.get(code=page.locator("#tracking-code").inner_text().strip())
    assert second.building is None and second.grid is not None  # routed by the pin
    assert second.lat == pytest.approx(32.2, abs=0.002)

    # 5. "My requests" by phone: a 6-digit code by SMS, then both requests with their status.
    page.goto(f"{live_server.url}/requests/mine/")
    page.fill("input[name=phone]", PHONE)
    page.click("button.primary")
    page.locator("#code-sent").wait_for()
    sms = Notification.objects.filter(phone=PHONE, template_key="resident.phone_code").latest("pk")
    otp = open_code(sms.context["otp_sealed"], sms.context["otp_nonce"])
    assert len(otp) == 6 and otp.isdigit()
    page.fill("input[name=code]", otp)
    page.click("button.primary")
    cards = page.locator("a.my-request")
    cards.first.wait_for()
    shown = cards.all_inner_texts()
    assert len(shown) == 2
    for request in (first, second):
        (card,) = [text for text in shown if request.code in text]
        assert request.get_status_display() in card
    assert any("新菜场" in text for text in shown)  # the place typed, on the resident's own list
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(tmp_path / "mine.png"), full_page=True)
    assert not page.console_errors
