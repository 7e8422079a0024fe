"""A grid leader's day at 1366 px, as issue 16's "Done when" asks for it: from the to-do page
through a dispatch with the suggestion (the building's 党员中心户 first), the member giving the
order back and the leader told in the inbox, an extension (延期) asked and approved by the
community, the request resolved by another member, and a call-back (回访) that reopens it one
level up. Every step is a click on the real pages; only the world is built by the factories."""

import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone, translation
from django.utils.formats import date_format

from notifications.models import Notification
from party_work.models import HouseholdLink
from resident_requests.models import EventKind, HandlingLevel, Status

from .factories import member, submit
from .factories import world as make_world
from .test_dispatch_picker import _household

pytestmark = pytest.mark.browser
SHOTS = "/tmp/h16j_{}.png"


@pytest.fixture
def day(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    w = make_world()
    # The central household (党员中心户) linked to the request's building: suggested first.
    w.central = member(_household(w.buildings[0]))
    HouseholdLink.objects.create(
        central_household=w.central.membership_unit,
        building=w.buildings[0],
        address="测试小区1号楼",
        contact_name="居民甲",
    )
    w.request = submit(w, description="3号楼楼道灯坏了一个星期，晚上看不见。")
    return w


def _page(browser, live_server, user=None):
    """A 1366×900 page of its own context (its own login), failing on console errors."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.console_errors = []
    page.on(
        "console",
        lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    # The site has no favicon (base.html): its 404 is not a page's error.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    if user is not None:
        client = Client()
        client.force_login(user)
        context.add_cookies(
            [
                {
                    "name": django_settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
    return page


def _fits(page):
    """Usable at 1366 px: nothing wider than the window (no sideways scrolling)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366, page.url


def _todo_row(page, live_server, code, action):
    page.goto(f"{live_server.url}/todo/")
    row = page.locator(f'li.todo-row[data-code="{code}"][data-action="{action}"]')
    row.wait_for()
    return row


def _unread(user) -> int:
    return Notification.objects.filter(recipient_user=user, channel="inbox", read_at=None).count()


def _zh(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


def test_a_grid_leaders_day_at_1366_px(browser, live_server, day):
    w = day
    request = w.request
    code = request.code
    leader = _page(browser, live_server, w.users["leader"])

    # 1. The to-do page lists the new request with its deadline marker; accept, then dispatch.
    row = _todo_row(leader, live_server, code, "accept")
    marker = row.locator(".todo-when .todo-marker")
    assert marker.inner_text().strip()
    assert re.search(r"todo-(overdue|soon|later)", marker.get_attribute("class"))
    assert w.buildings[0].address in row.inner_text()
    _fits(leader)
    leader.screenshot(path=SHOTS.format("1_todo"), full_page=True)
    row.locator("a.todo-action").click()
    leader.locator("button.rr-accept").click()
    leader.locator("a.rr-dispatch").click()
    leader.wait_for_url("**/dispatch/")
    first = leader.locator("tr.rr-candidate").first
    assert first.get_attribute("data-person") == str(w.central.pk)
    assert "rr-central" in first.get_attribute("class")
    options = leader.locator("#id_assignee option").evaluate_all("os => os.map(o => o.value)")
    assert options[1] == str(w.central.pk)  # after the empty choice: the suggestion
    leader.select_option("#id_assignee", str(w.central.pk))
    leader.fill("#id_note", "请先到3号楼看看灯的开关。")
    _fits(leader)
    leader.screenshot(path=SHOTS.format("2_dispatch"), full_page=True)
    leader.locator(".submit-row input[type=submit]").click()
    leader.wait_for_url(f"**/{request.pk}/change/")
    request.refresh_from_db()
    assert (request.status, request.assignee) == (Status.DISPATCHED, w.central)

    # 2. The member reads the leader's note on their order and gives it back, saying why.
    unread_before = _unread(w.users["leader"])
    central = _page(browser, live_server, w.central.user)
    central.goto(f"{live_server.url}/member/")
    # The new order is in their inbox too, its count in the member pages' header.
    member_unread = _unread(w.central.user)
    assert member_unread >= 1
    assert re.findall(r"\d+", central.locator("a.inbox-link").inner_text()) == [str(member_unread)]
    central.locator(f'a[href*="/member/orders/{code}/"]').first.click()
    assert "请先到3号楼看看灯的开关" in central.locator("#dispatch-note").inner_text()
    decline = central.locator("details:has(button[value=decline])")
    decline.locator("summary").click()
    decline.locator("textarea").fill("我这周在外地，回不来。")
    _fits(central)
    central.screenshot(path=SHOTS.format("3_member_decline"), full_page=True)
    decline.locator("button[value=decline]").click()
    central.wait_for_load_state()
    request.refresh_from_db()
    assert (request.status, request.assignee) == (Status.ACCEPTED, None)

    # 3. The leader sees one more unread message in the header and reads why in the inbox.
    unread = _unread(w.users["leader"])
    assert unread > unread_before
    leader.goto(f"{live_server.url}/todo/")
    link = leader.locator("a.inbox-link")
    assert re.findall(r"\d+", link.inner_text()) == [str(unread)]
    link.click()
    leader.wait_for_url("**/inbox/")
    newest = leader.locator("li.inbox-row.inbox-unread").first
    text = newest.inner_text()
    assert code in text and "我这周在外地" in text
    _fits(leader)
    leader.screenshot(path=SHOTS.format("4_inbox"), full_page=True)

    # 4. The leader asks for 3 more working days; the community approves from its to-do.
    before = request.resolve_deadline
    leader.goto(f"{live_server.url}/admin/resident_requests/residentrequest/{request.pk}/change/")
    leader.locator("a.rr-extend").click()
    leader.fill("#id_working_days", "3")
    leader.fill("#id_reason", "灯具需要从厂家订货")
    leader.locator(".submit-row input[type=submit]").click()
    leader.wait_for_url(f"**/{request.pk}/change/")
    community = _page(browser, live_server, w.users["community"])
    row = _todo_row(community, live_server, code, "approve_change")
    _fits(community)
    row.locator("a.todo-action").click()
    assert "灯具需要从厂家订货" in community.locator("form .help").first.inner_text()
    community.screenshot(path=SHOTS.format("5_approve"), full_page=True)
    community.locator(".submit-row input[type=submit]").click()
    community.wait_for_url(f"**/{request.pk}/change/")
    request.refresh_from_db()
    assert request.resolve_deadline > before
    resident = _page(browser, live_server)
    resident.goto(f"{live_server.url}/requests/t/{request.access_token}/")
    with translation.override("zh-hans"):
        day_text = date_format(timezone.localtime(request.resolve_deadline), "MONTH_DAY_FORMAT")
    page_text = resident.locator("body").inner_text()
    assert f"处理时间延长到 {day_text}：灯具需要从厂家订货" in page_text
    _fits(resident)

    # 5. Dispatched to the other member, who takes and resolves it; the community calls back,
    # the resident is not satisfied: the request is reopened, with the community.
    other = w.members[0]
    leader.goto(f"{live_server.url}/admin/resident_requests/residentrequest/{request.pk}/change/")
    leader.locator("a.rr-dispatch").click()
    leader.select_option("#id_assignee", str(other.pk))
    leader.locator(".submit-row input[type=submit]").click()
    leader.wait_for_url(f"**/{request.pk}/change/")
    taker = _page(browser, live_server, other.user)
    taker.goto(f"{live_server.url}/member/orders/{code}/")
    taker.locator("button[value=take]").click()
    resolve = taker.locator("form:has(button[value=resolve])")
    resolve.locator("textarea").fill("已更换灯具，灯亮了。")
    resolve.locator("button[value=resolve]").click()
    taker.wait_for_load_state()
    request.refresh_from_db()
    assert request.status == Status.RESOLVED
    row = _todo_row(community, live_server, code, "callback")
    row.locator("a.todo-action").click()
    community.check('input[name=reached][value="1"]')
    community.select_option("#id_satisfaction", "dissatisfied")
    community.fill("#id_note", "居民说灯又闪了")
    _fits(community)
    community.screenshot(path=SHOTS.format("6_callback"), full_page=True)
    community.locator(".submit-row input[type=submit]").click()
    community.wait_for_url(f"**/{request.pk}/change/")
    request.refresh_from_db()
    assert (request.status, request.level) == (Status.ACCEPTED, HandlingLevel.COMMUNITY)
    assert request.reopened_count == 1
    # The staff's timeline: the call-back with its note, then the reopening.
    staff_text = community.locator("body").inner_text()
    assert _zh(EventKind.CALLED_BACK.label) in staff_text and "居民说灯又闪了" in staff_text
    assert _zh(EventKind.REOPENED.label) in staff_text
    # The resident's: the reopening, never the call-back's note.
    resident.goto(f"{live_server.url}/requests/t/{request.access_token}/")
    page_text = resident.locator("body").inner_text()
    assert _zh(EventKind.REOPENED.label) in page_text and "居民说灯又闪了" not in page_text
    # And now the community's to-do offers to handle it (accepted, at their level).
    _todo_row(community, live_server, code, "dispatch")
    _fits(community)

    for page in (leader, central, community, resident, taker):
        assert page.console_errors == [], page.url
        page.context.close()
