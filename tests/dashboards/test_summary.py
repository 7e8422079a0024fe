"""The dashboard's in-page menu and its printable one-page summary (issue 17, point 7)."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboards.services import summaries_refresh
from organization.models import StaffRole
from tests.organization.factories import staff_user

from .test_views import JANUARY, PAGE_QUERIES, _district

pytestmark = pytest.mark.django_db


def _summary(client, unit, params=JANUARY):
    return client.get(reverse("dashboards:summary", args=[unit.pk]), params)


def test_the_menu_leads_to_every_section_and_to_the_summary(client, world):
    client.force_login(staff_user(StaffRole.ORG_DEPARTMENT, unit=world.district))
    html = client.get(reverse("dashboards:dashboard"), JANUARY).content.decode()
    menu = html[html.index('class="dash-toc') : html.index("</nav>", html.index('class="dash-toc'))]
    targets = [part.split('"')[0] for part in menu.split('href="#')[1:]]
    assert len(targets) == 10
    for target in targets:
        # Each menu entry points at an element of the page.
        assert f'id="{target}"' in html, target
    summary = reverse("dashboards:summary", args=[world.district.pk])
    assert f'href="{summary}?start=2026-01-01&amp;end=2026-01-31' in menu


def test_the_summary_holds_the_dashboards_figures_for_the_same_filter(client, world):
    client.force_login(staff_user(StaffRole.ORG_DEPARTMENT, unit=world.district))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    board = client.get(reverse("dashboards:dashboard"), JANUARY).context["board"]
    page = _summary(client, world.district)
    assert page.status_code == 200
    summary = page.context["board"]
    assert summary.handling == board.handling
    html = page.content.decode()
    assert "Requests received from 2026-01-01 to 2026-01-31." in html
    assert f"<strong>{board.handling.received}</strong> received" in html
    for table, total in page.context["sections"]:
        assert table.rows == board.tables[table.key].rows[: len(table.rows)]
        assert total == len(board.tables[table.key].rows)
    # Printing it is the browser's: no export links, no map, no charts on this page.
    assert "export" not in html and "dash-map" not in html and "data-chart" not in html


def test_the_summary_keeps_long_tables_to_their_first_rows_and_says_so(client):
    district = _district(3)  # 27 grids in the assessment, 3 streets
    summaries_refresh(full=True)
    client.force_login(staff_user(StaffRole.ORG_DEPARTMENT, unit=district))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = _summary(client, district)
    sections = {table.key: (table, total) for table, total in page.context["sections"]}
    assessment, total = sections["assessment"]
    assert (len(assessment.rows), total) == (8, 27)
    assert "First 8 of 27 rows" in page.content.decode()
    units, total = sections["units"]
    assert len(units.rows) == total == 3


def test_a_street_user_cannot_print_another_streets_summary(client, world):
    client.force_login(staff_user(StaffRole.STREET_STAFF, unit=world.s1))
    assert _summary(client, world.s1).status_code == 200
    for other in (world.district, world.s2, world.c3):
        assert _summary(client, other).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = _summary(client, world.district)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


# The dashboard's queries but the breadcrumb's (the summary has none): fixed at any size.
SUMMARY_QUERIES = PAGE_QUERIES - 1


@pytest.mark.parametrize("size", [1, 3])
def test_the_summary_makes_the_same_number_of_queries_at_any_size(client, size):
    district = _district(size)
    summaries_refresh(full=True)
    client.force_login(staff_user(StaffRole.ORG_DEPARTMENT, unit=district))
    with CaptureQueriesContext(connection) as queries:
        page = _summary(client, district)
    assert page.context["board"].handling.received == size**3 * size**2
    assert len(queries) == SUMMARY_QUERIES
