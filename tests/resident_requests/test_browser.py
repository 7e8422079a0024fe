"""The whole path in a real browser: a resident submits at a phone's width, the grid leader
accepts and dispatches in /admin/, the member takes and resolves on /member/, the resident rates."""

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image

from resident_requests import services
from resident_requests.models import ResidentRequest, Status
from resident_requests.photos import MAX_PHOTO_BYTES

from .factories import noise_jpeg, submit
from .factories import world as make_world

pytestmark = pytest.mark.browser
PASSWORD = "pw-for-tests-123"


@pytest.fixture
def bw(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_world()


def test_resident_leader_member_resident(bw, phone_page, desktop_page, live_server, tmp_path):
    w, page = bw, phone_page
    building = w.buildings[0]

    # 1. The resident, on a phone.
    sent = []  # the form's POSTs, by content type: without a photo, URL-encoded (request_form.js)
    page.on(
        "request",
        lambda r: (
            sent.append(r.headers.get("content-type", "").split(";")[0])
            if r.method == "POST" and r.url.endswith("/requests/new/")
            else None
        ),
    )
    page.goto(f"{live_server.url}/requests/new/")
    page.fill("#id_building_text", building.address[:4])
    page.locator("#building-results button", has_text=building.address).click()
    page.select_option("#id_category_group", str(w.category.parent_id))
    page.select_option("#id_category", str(w.category.pk))
    page.fill("#id_description", "单元门口的路灯坏了，晚上很黑 <b>急</b>")
    page.fill("#id_name", "李阿姨")
    page.fill("#id_phone", "13912345678")
    page.check("#id_consent")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    page.screenshot(path=str(tmp_path / "form.png"), full_page=True)
    page.click("button[data-once]")
    code = page.locator("#tracking-code").inner_text().strip()
    request = ResidentRequest.objects.get(code=code)
    assert request.status == Status.SUBMITTED
    assert request.description == "单元门口的路灯坏了，晚上很黑 <b>急</b>"
    assert sent == ["application/x-www-form-urlencoded"]
    track_link = page.locator("a.button").get_attribute("href")

    # 2. The grid leader, at a desk: accept, then dispatch to a member of the grid.
    admin = desktop_page
    leader = w.users["leader"]
    admin.goto(f"{live_server.url}/admin/login/")
    admin.fill("#id_username", leader.username)
    admin.fill("#id_password", PASSWORD)
    admin.click("input[type=submit]")
    admin.goto(f"{live_server.url}/admin/resident_requests/residentrequest/")
    admin.click(f"text={code}")
    admin.click("button.rr-accept")
    admin.click("a.rr-dispatch")
    admin.select_option("#id_assignee", str(w.members[0].pk))
    admin.click("input[type=submit].default")
    admin.wait_for_selector(".messagelist .success")
    request.refresh_from_db()
    assert request.status == Status.DISPATCHED

    # 3. The member, on their phone: sign in, take, resolve.
    person = w.members[0]
    page.goto(f"{live_server.url}/member/")
    page.fill("#id_username", person.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("form.member-login button[type=submit]")
    page.click(".order-card")
    page.click("button[value=take]")
    page.fill("#id_note", "已更换灯泡，恢复照明。")
    page.click("button[value=resolve]")
    page.wait_for_selector(".message.success")
    request.refresh_from_db()
    assert request.status == Status.RESOLVED
    page.click("button.linklike")  # sign out

    # 4. The resident rates it from the link.
    page.goto(f"{live_server.url}{track_link}")
    assert "已更换灯泡" in page.content()
    assert "<b>急</b>" not in page.content() and "&lt;b&gt;急" in page.content()
    page.check("input[value=satisfied]")
    page.click("button[type=submit].primary")
    page.wait_for_selector(".message.success")
    request.refresh_from_db()
    assert request.status == Status.CLOSED
    assert re.search(r"status-closed", page.content())
    assert not page.console_errors
    assert not admin.console_errors


def test_a_big_phone_photo_is_scaled_down_in_the_browser_before_sending(
    bw, phone_page, live_server, tmp_path
):
    w, page = bw, phone_page
    photo = tmp_path / "IMG_20261125_093000.jpg"
    photo.write_bytes(noise_jpeg(4000, 3000, quality=95))
    size = photo.stat().st_size
    assert size >= 8 * 2**20 and size > MAX_PHOTO_BYTES  # sent as is, the server would refuse it
    bodies = []
    page.on(
        "request",
        lambda r: (
            bodies.append((len(r.post_data_buffer or b""), r.headers.get("content-type", "")))
            if r.method == "POST" and r.url.endswith("/requests/new/")
            else None
        ),
    )

    building = w.buildings[0]
    page.goto(f"{live_server.url}/requests/new/")
    page.fill("#id_building_text", building.address[:4])
    page.locator("#building-results button", has_text=building.address).click()
    page.check("#id_request_type_1")  # 投诉
    page.select_option("#id_category_group", str(w.category.parent_id))
    page.select_option("#id_category", str(w.category.pk))
    page.fill("#id_description", "楼道里堆满杂物，多次反映没人管")
    page.fill("#id_name", "王大爷")
    page.fill("#id_phone", "13912345670")
    page.check("#id_consent")
    page.set_input_files("#id_photos", str(photo))
    status = page.locator(".photo-status")
    with translation.override("zh-hans"):
        busy, done = gettext("Compressing the photos…"), gettext("The photos are ready to send.")
    assert status.is_visible() and status.inner_text() in (busy, done)
    page.click("button[data-once]")  # at once: the form waits for the photo, then goes
    code = page.locator("#tracking-code").inner_text().strip()

    request = ResidentRequest.objects.get(code=code)
    assert request.request_type == "complaint" and not request.public_allowed
    stored = request.photos.get()
    assert max(stored.width, stored.height) <= 2000  # the browser's size (the server keeps 2048)
    with Image.open(stored.image.path) as image:
        assert image.size == (2000, 1500)  # landscape kept, nothing cropped
    assert len(bodies) == 1 and bodies[0][0] < 3 * 2**20  # not the 13 MB original
    assert bodies[0][1].startswith("multipart/form-data")  # with a photo, multipart
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert not page.console_errors


def test_a_member_reports_done_with_a_big_photo_sent_at_once(bw, phone_page, live_server, tmp_path):
    w, page = bw, phone_page
    person = w.members[0]
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    services.request_dispatch(request=request, actor=w.users["leader"], assignee=person)
    services.request_take(request=request, actor=person.user)
    photo = tmp_path / "done.jpg"
    photo.write_bytes(noise_jpeg(3000, 4000, quality=95))  # portrait this time
    assert photo.stat().st_size > MAX_PHOTO_BYTES

    page.goto(f"{live_server.url}/member/")
    page.fill("#id_username", person.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("form.member-login button[type=submit]")
    page.goto(f"{live_server.url}/member/orders/{request.code}/")
    page.fill("#id_note", "杂物已清理。")
    page.set_input_files("#id_photos", str(photo))
    page.click("button[value=resolve]")  # its name and value still reach the server
    page.wait_for_selector(".message.success")
    request.refresh_from_db()
    assert request.status == Status.RESOLVED
    stored = request.photos.get()
    assert (stored.width, stored.height) == (1500, 2000)
    assert not page.console_errors


def test_without_javascript_the_me_too_answer_sends_the_report_as_typed(bw, browser, live_server):
    """A phone without JavaScript: the first "Send" finds a neighbour's open request of the same
    kind, the short answer shows it, and "send my report" stores the resident's own report,
    its lines and signs as typed (they ride in hidden fields)."""
    w = bw
    submit(w, submitter_phone="13800000009")  # a neighbour's, open
    context = browser.new_context(
        viewport={"width": 360, "height": 780}, locale="zh-CN", java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/requests/new/")
        page.fill("#id_building_text", w.buildings[0].address)
        page.select_option("#id_category", str(w.category.pk))
        description = '楼道灯坏了\n"三楼" & <四楼>都黑\n  请尽快修'
        page.fill("#id_description", description)
        page.fill("#id_name", "李阿姨")
        page.fill("#id_phone", "13912345678")
        page.check("#id_consent")
        page.click("button[data-once]")
        answer = page.locator("#not-the-same")
        assert answer.is_visible() and page.locator("#similar .similar-item").count() == 1
        assert "&" in answer.locator(".report-summary").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert ResidentRequest.objects.count() == 1
        with translation.override("zh-hans"):
            send = gettext("Send my report")
        page.get_by_role("button", name=send).click()
        code = page.locator("#tracking-code").inner_text().strip()
    finally:
        context.close()
    mine = ResidentRequest.objects.get(code=code)
    assert mine.description.replace("\r\n", "\n") == description
    assert (mine.submitter_name, mine.building) == ("李阿姨", w.buildings[0])
