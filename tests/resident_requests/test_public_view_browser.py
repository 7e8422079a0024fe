"""'Me too' in a real browser at a phone's width: the live box asks with the page's token and
shows no one's words, the phone typed once serves both forms, and the supporter lands on the
request's public view."""

import pytest

from resident_requests.models import RequestSupporter, ResidentRequest

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


def fill_report(page, w, building):
    """The resident's report at `building`, up to the "Send" button; the page's look-up's
    answer (as request_form.js asks once the building and the kind are picked)."""
    page.fill("#id_building_text", building.address[:4])
    page.locator("#building-results button", has_text=building.address).click()
    page.select_option("#id_category_group", str(w.category.parent_id))
    with page.expect_response(lambda r: "/requests/new/similar/" in r.url) as looked:
        page.select_option("#id_category", str(w.category.pk))
    page.fill("#id_description", "楼道灯坏了，晚上很黑")
    page.fill("#id_name", "李阿姨")
    page.fill("#id_phone", "13912345678")
    page.check("#id_consent")
    return looked.value


def sent_forms(page) -> list[str]:
    posts = []
    page.on(
        "request",
        lambda r: (
            posts.append(r.post_data or "")
            if r.method == "POST" and r.url.endswith("/requests/new/")
            else None
        ),
    )
    return posts


def test_a_look_up_that_found_nothing_is_not_made_again_when_sending(bw, phone_page, live_server):
    """Nothing of the kind open nearby: the page says so with the form (confirm_new), and one
    "Send" stores the report; the server does not look a second time."""
    w, page = bw, phone_page
    submit(w, building_index=1, category=w.other_category)  # another kind, next door
    posts = sent_forms(page)
    page.goto(f"{live_server.url}/requests/new/")
    looked = fill_report(page, w, w.buildings[0])
    assert looked.status == 200 and looked.json() == {"results": []}
    assert page.locator("#similar-live").is_hidden()
    page.click("button[data-once]")
    code = page.locator("#tracking-code").inner_text().strip()
    assert ResidentRequest.objects.get(code=code).submitter_name == "李阿姨"
    assert len(posts) == 1 and "confirm_new=1" in posts[0]
    assert not page.console_errors


def test_a_look_up_made_for_another_building_does_not_count(bw, phone_page, live_server):
    """Looked up for one building, then the address typed again by hand: the form goes without
    confirm_new, so the server looks for the building it finds, and offers its open request."""
    w, page = bw, phone_page
    submit(w, building_index=1, submitter_phone="13800000009")  # a neighbour's, open
    posts = sent_forms(page)
    page.goto(f"{live_server.url}/requests/new/")
    assert fill_report(page, w, w.buildings[0]).json() == {"results": []}
    page.fill("#id_building_text", w.buildings[1].address)  # typed, not picked from the list
    page.locator("#building-results").wait_for(state="visible")
    page.click("button[data-once]")
    page.locator("#not-the-same").wait_for()
    assert page.locator("#similar .similar-item").count() == 1
    assert len(posts) == 1 and "confirm_new=&" in posts[0] + "&"
    assert ResidentRequest.objects.count() == 1


def test_when_the_look_up_is_refused_the_server_still_offers_me_too(
    bw, phone_page, live_server, settings
):
    """The page's look-up answered "too many" (nothing looked at): the form goes as it was, the
    server looks, and the resident is offered the neighbour's open request before storing."""
    w, page = bw, phone_page
    submit(w, submitter_phone="13800000009")  # a neighbour's, open, same building and kind
    settings.RESIDENT_REQUEST_RATE_LIMITS = {"similar_ip": (0, 600)}
    posts = sent_forms(page)
    page.goto(f"{live_server.url}/requests/new/")
    assert fill_report(page, w, w.buildings[0]).status == 429
    page.click("button[data-once]")
    page.locator("#not-the-same").wait_for()
    assert page.locator("#similar .similar-item").count() == 1
    assert len(posts) == 1 and "confirm_new=1" not in posts[0]
    assert ResidentRequest.objects.count() == 1
