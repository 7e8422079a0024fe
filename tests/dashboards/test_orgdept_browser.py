"""An organization-department user at a laptop's width (1366 px): a dashboard figure leads to the
admin list of as many requests, and 每月一题 turns a community's recurring category into a draft
service project in one click, and puts it on the next 温暖20 session's agenda in another."""

import calendar
import re

import pytest

from dashboards.forms import default_month
from grids.models import Building
from organization.models import StaffRole
from party_work.models import ProjectStatus, ServiceProject
from tests.organization.factories import staff_user
from tests.party_work.factories import session

from .factories import at, request
from .test_browser import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def laptop_page(browser, live_server):
    """A 1366×900 page that records console errors."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    # The site has no favicon yet (base.html): its 404 is not this page's error.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    yield page
    context.close()


def _admin_count(page) -> int:
    """The number of results the admin's request list says it holds."""
    text = page.locator("#changelist .paginator").inner_text()
    return int(re.search(r"\d+", text).group())


def test_orgdept_follows_a_figure_then_starts_the_months_project(
    client, live_server, world, laptop_page
):
    page = laptop_page
    month = default_month()
    day = lambda d: f"{month:%Y-%m}-{d:02d}"  # noqa: E731
    # Last month in community C1: garbage three times, twice from one building; lights once.
    b1 = world.g1.buildings.first()
    b2 = Building.objects.create(
        name="2", address="二号楼", grid=world.g1, lat=32.2, lng=119.45, households=8
    )
    request(world.g1, world.garbage, at(day(3)), building=b1)
    request(world.g1, world.garbage, at(day(10)), building=b1)
    request(world.g1, world.garbage, at(day(12)), building=b2)
    request(world.g1, world.lights, at(day(14)), building=b1)
    request(world.g4, world.garbage, at(day(5)))
    reception = session(world.c1, days_ahead=5)
    last = calendar.monthrange(month.year, month.month)[1]
    user = staff_user(StaffRole.ORG_DEPARTMENT, unit=world.district)
    _log_in(page, client, live_server, user)
    dashboard = f"{live_server.url}/dashboard/?start={day(1)}&end={day(last)}"

    # The headline "received": five requests, and the admin list holds five.
    page.goto(dashboard)
    received = page.locator("a.dash-drill").first
    figure = int(received.locator("strong").inner_text())
    assert figure == 5
    received.click()
    page.wait_for_url("**/admin/resident_requests/residentrequest/?*")
    assert _admin_count(page) == figure
    page.screenshot(path="/tmp/h17d_admin_received.png", full_page=False)

    # A category row's count: garbage (垃圾清运, under 环境卫生), four requests.
    page.goto(dashboard)
    row = page.locator("#sec-categories tr", has_text="垃圾清运").first
    cell = row.locator("td a").first
    figure = int(cell.inner_text())
    assert figure == 4
    cell.click()
    page.wait_for_url("**/admin/resident_requests/residentrequest/?*")
    assert _admin_count(page) == figure

    # 每月一题 from the dashboard's menu: C1's garbage is suggested; one click drafts it.
    page.goto(dashboard)
    page.screenshot(path="/tmp/h17d_dashboard.png", full_page=False)
    page.locator(".dash-toc a[href*='/topics/']").click()
    page.wait_for_url("**/topics/")
    section = page.locator("section", has=page.locator(f"#topics-{world.c1.pk}"))
    garbage = section.locator("tr.topic-row", has_text="垃圾清运")
    garbage.locator("form[action$='/topics/project/'] button").click()
    page.wait_for_url("**/topics/?month=*")
    project = ServiceProject.objects.get()
    assert (project.community, project.topic_category, project.topic_month) == (
        world.c1,
        world.garbage,
        month,
    )
    assert project.status == ProjectStatus.PLANNED
    success = page.locator(".messages .message.success")
    assert project.title in success.inner_text()
    # The row now says the project was started instead of offering the button again.
    assert garbage.locator("form[action$='/topics/project/']").count() == 0
    # Beside it, the other button: the same category on the next 温暖20 session's agenda.
    garbage.locator("form[action$='/topics/reception/'] button").click()
    page.wait_for_url("**/topics/?month=*")
    reception.refresh_from_db()
    assert reception.topic == "垃圾清运"
    assert "垃圾清运" in page.locator(".messages .message.success").inner_text()
    page.screenshot(path="/tmp/h17d_topics.png", full_page=True)
    assert page.console_errors == []
