"""The whole path in a real browser: a resident submits at a phone's width, the grid leader
accepts and dispatches in /admin/, the member takes and resolves on /member/, the resident rates."""

import re

import pytest

from resident_requests.models import ResidentRequest, Status

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
