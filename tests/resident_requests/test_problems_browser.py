"""The map of problems on a phone (360 px): the map draws its points, a filter narrows the list,
an item opens its public view, and "me too" there reaches the support form and counts."""

import pytest

from resident_requests import services
from resident_requests.models import RequestSupporter

from .factories import submit
from .factories import world as make_world

pytestmark = pytest.mark.browser
SECRET_TEXT = "我是9号楼302室的张桂英，请打我电话13612345678，楼道灯不亮"


@pytest.fixture
def bw(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_world()


def test_problems_on_a_phone_filter_open_and_me_too(bw, phone_page, live_server, tmp_path):
    w, page = bw, phone_page
    mine = submit(w, submitter_name="张桂英", description=SECRET_TEXT, public_allowed=True)
    other = submit(w, building_index=2, category=w.other_category, public_allowed=True)
    services.request_public_map_set(request=mine, actor=w.users["leader"], approved=True)
    services.request_public_map_set(request=other, actor=w.users["leader_c"], approved=True)

    page.goto(f"{live_server.url}/")
    page.click("a[href='/problems/']")
    page.locator("#problem-list").wait_for()
    assert page.locator(".problem-item").count() == 2
    page.locator("#problem-map .leaflet-interactive").first.wait_for()
    assert page.locator("#problem-map path.leaflet-interactive").count() >= 2
    body = page.locator("body").inner_text()
    for secret in ("张桂英", "302室", "13612345678", mine.code):
        assert secret not in body
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(tmp_path / "problems.png"), full_page=True)

    page.select_option("#id_category", str(w.category.pk))
    page.click("#problem-filter button[type=submit]")
    page.wait_for_url("**category=*")
    items = page.locator(".problem-item")
    assert items.count() == 1
    assert w.buildings[0].address in items.first.inner_text()

    items.first.locator("a.problem-open").click()
    page.locator("#public-request").wait_for()
    assert mine.public_id in page.locator("#public-request").inner_text() or (
        mine.public_id in page.locator("h1").inner_text()
    )
    box = page.locator("#me-too")
    box.locator("input[name=phone]").fill("13700009999")
    box.locator("input[name=consent]").check()
    box.locator("button[type=submit]").click()
    page.locator("#support-code").wait_for()
    assert page.locator("#support-code").inner_text().strip() == mine.public_id
    assert RequestSupporter.objects.get(request=mine).phone == "13700009999"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert not page.console_errors
