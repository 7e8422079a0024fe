"""'Me too' in a real browser at a phone's width: the live box asks with the page's token and
shows no one's words, the phone typed once serves both forms, and the supporter lands on the
request's public view."""

import pytest

from resident_requests.models import RequestSupporter

from .factories import submit
from .factories import world as make_world

pytestmark = pytest.mark.browser
SECRET_TEXT = "我是9号楼302室的张桂英，请打我电话13612345678"


@pytest.fixture
def bw(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_world()


def test_me_too_on_a_phone(bw, phone_page, live_server, tmp_path):
    w, page = bw, phone_page
    request = submit(w, submitter_name="张桂英", description=SECRET_TEXT)
    building = w.buildings[0]
    page.goto(f"{live_server.url}/requests/new/")
    page.fill("#id_phone", "13700009999")  # typed first: the box takes it over
    page.fill("#id_building_text", building.address[:4])
    page.locator("#building-results button", has_text=building.address).click()
    page.select_option("#id_category_group", str(w.category.parent_id))
    page.select_option("#id_category", str(w.category.pk))
    box = page.locator("#similar-live")
    box.locator(".similar-item").first.wait_for()
    text = box.inner_text()
    assert w.category.name in text
    # The room as typed ("302室"): a bare "302" may be part of a factory's name (小类3025).
    for secret in ("张桂英", "302室", "13612345678"):
        assert secret not in text
    assert box.locator("input[name=phone]").input_value() == "13700009999"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(tmp_path / "me-too-box.png"), full_page=True)

    box.locator("input[name=consent]").check()
    box.locator("button").first.click()
    page.locator("#support-code").wait_for()
    assert page.locator("#support-code").inner_text().strip() == request.public_id
    assert RequestSupporter.objects.get(request=request).phone == "13700009999"
    page.screenshot(path=str(tmp_path / "me-too-done.png"), full_page=True)

    page.click("#support-public-link")
    page.locator("#public-request").wait_for()
    assert "/requests/p/" in page.url and request.access_token not in page.url
    body = page.locator("body").inner_text()
    assert w.category.name in body and building.address in body
    assert "张桂英" not in body and "13612345678" not in body
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(tmp_path / "public-view.png"), full_page=True)
    assert not page.console_errors
