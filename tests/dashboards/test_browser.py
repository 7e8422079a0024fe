"""The charts and the map really draw in a browser, without console errors."""

import pytest
from django.conf import settings as django_settings

from organization.models import StaffRole
from tests.organization.factories import staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, client, live_server, user):
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


@pytest.mark.parametrize("page_fixture", ["desktop_page", "phone_page"])
def test_charts_render(request, client, live_server, world, page_fixture):
    page = request.getfixturevalue(page_fixture)
    _log_in(page, client, live_server, staff_user(StaffRole.ORG_DEPARTMENT, unit=world.district))
    # The site has no favicon yet (base.html): its 404 is not this page's error.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.goto(f"{live_server.url}/dashboard/?start=2026-01-01&end=2026-01-31")
    for key in ["units", "trend", "channels", "categories", "levels", "departments"]:
        chart = page.locator(f'[data-chart="{key}"][data-drawn="true"] canvas')
        chart.first.wait_for(state="attached", timeout=5000)
        box = chart.first.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, key
    page.locator('#dash-map[data-drawn="true"] .leaflet-interactive').first.wait_for(
        state="attached", timeout=5000
    )
    assert page.console_errors == []


@pytest.mark.parametrize("page_fixture", ["desktop_page", "phone_page"])
def test_the_summary_prints_on_one_a4_page(request, client, live_server, page_fixture):
    """The monthly meeting's summary: the browser's print (to PDF here) is one A4 page, with
    the long tables cut to their first rows, at any screen width it is opened from."""
    from dashboards.services import summaries_refresh

    from .test_views import _district

    page = request.getfixturevalue(page_fixture)
    district = _district(3)
    summaries_refresh(full=True)
    _log_in(page, client, live_server, staff_user(StaffRole.ORG_DEPARTMENT, unit=district))
    page.goto(f"{live_server.url}/dashboard/?start=2026-01-01&end=2026-01-31")
    page.get_by_role("link", name="打印用的一页摘要").click()
    page.wait_for_url("**/summary/?*")
    assert page.locator("#summary-assessment tbody tr").count() == 8
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages == 1, f"the summary prints on {pages} pages"
    assert page.console_errors == []


def test_the_heat_layer_shows_grids_then_buildings_when_zoomed_in(
    client, live_server, world, desktop_page
):
    page = desktop_page
    _log_in(page, client, live_server, staff_user(StaffRole.ORG_DEPARTMENT, unit=world.district))
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.goto(f"{live_server.url}/dashboard/?start=2026-01-01&end=2026-01-31")
    page.locator('#dash-map[data-drawn="true"]').wait_for(state="attached", timeout=5000)
    # The layer control offers the heat layer beside the open requests.
    heat = page.locator("#dash-map .leaflet-control-layers-overlays input").first
    heat.check()
    # The world's grids lie close together: the map opens zoomed in, on buildings. Zoomed out,
    # the same layer shows grids; zoomed in again, buildings.
    the_map = page.locator("#dash-map")
    for shows, step in [("grids", -1), ("buildings", 1)]:
        for _ in range(10):
            if the_map.get_attribute("data-heat") == shows:
                break
            zoom = int(the_map.get_attribute("data-zoom"))
            page.locator(".leaflet-control-zoom-" + ("in" if step > 0 else "out")).click()
            page.locator(f'#dash-map[data-zoom="{zoom + step}"]').wait_for(state="attached")
        assert the_map.get_attribute("data-heat") == shows
    assert page.locator("#dash-map path.leaflet-interactive").count() >= 3
    assert page.console_errors == []
