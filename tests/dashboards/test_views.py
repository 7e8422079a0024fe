"""The dashboard pages: who sees what, drill-down, exports, and a fixed number of queries."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dashboards.services import summaries_refresh
from grids.models import Grid
from organization.models import StaffRole, UnitKind
from resident_requests.models import Status
from tests.organization.factories import chain, staff_user, unit

from .factories import at, category, grid_for, request

pytestmark = pytest.mark.django_db

JANUARY = {"start": "2026-01-01", "end": "2026-01-31"}


def _login(client, user):
    client.force_login(user)
    return client


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.get(reverse("dashboards:dashboard"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_the_organization_department_sees_the_district_and_drills_down(client, world):
    _login(client, staff_user(StaffRole.ORG_DEPARTMENT, unit=world.district))
    page = client.get(reverse("dashboards:dashboard"), JANUARY)
    assert page.status_code == 200
    assert page.context["unit"] == world.district
    assert page.context["board"].handling.received == 6
    street_link = reverse("dashboards:unit", args=[world.s1.pk])
    assert street_link in page.content.decode()

    street = client.get(street_link, JANUARY)
    assert street.context["board"].handling.received == 5
    html = street.content.decode()
    # The street's communities are the next level; the breadcrumb leads back up.
    assert reverse("dashboards:unit", args=[world.c1.pk]) in html
    assert [u.pk for u in street.context["breadcrumb"]] == [world.district.pk, world.s1.pk]
    assert f'href="{reverse("dashboards:unit", args=[world.district.pk])}?' in html

    community = client.get(reverse("dashboards:unit", args=[world.c1.pk]), JANUARY)
    assert reverse("dashboards:unit", args=[world.u1.pk]) in community.content.decode()


def test_a_street_user_sees_no_other_street(client, world):
    _login(client, staff_user(StaffRole.STREET_STAFF, unit=world.s1))
    page = client.get(reverse("dashboards:dashboard"), JANUARY)
    assert page.context["unit"] == world.s1
    html = page.content.decode()
    assert "乙街道" not in html and "三社区" not in html
    assert page.context["board"].handling.received == 5
    # Not the district above, not the other street, not its units, not their exports.
    for other in (world.district, world.s2, world.c3, world.u4):
        assert client.get(reverse("dashboards:unit", args=[other.pk])).status_code == 404
        export = reverse("dashboards:export", args=[other.pk, "handling", "csv"])
        assert client.get(export).status_code == 404
    # The breadcrumb starts at the user's own street.
    community = client.get(reverse("dashboards:unit", args=[world.c1.pk]), JANUARY)
    assert [u.pk for u in community.context["breadcrumb"]] == [world.s1.pk, world.c1.pk]


def test_a_street_users_export_holds_only_their_street(client, world):
    _login(client, staff_user(StaffRole.STREET_STAFF, unit=world.s1))
    url = reverse("dashboards:export", args=[world.s1.pk, "assessment", "xlsx"])
    response = client.get(url, JANUARY)
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["一社区第1网格党支部", "一社区第2网格党小组", "二社区第1网格党支部"]


def test_department_staff_without_a_unit_are_told_why(client, world):
    _login(client, staff_user(StaffRole.DEPARTMENT_STAFF, department=world.dept))
    assert client.get(reverse("dashboards:dashboard")).status_code == 403


@pytest.mark.parametrize("table", ["handling", "units", "assessment", "party", "categories"])
def test_exports_open_in_openpyxl_and_hold_the_pages_numbers(client, world, table):
    _login(client, staff_user(StaffRole.ORG_DEPARTMENT, unit=world.district))
    page = client.get(reverse("dashboards:dashboard"), JANUARY)
    shown = page.context["tables"][table]

    xlsx = client.get(
        reverse("dashboards:export", args=[world.district.pk, table, "xlsx"]), JANUARY
    )
    assert xlsx.status_code == 200
    disposition = xlsx["Content-Disposition"]
    assert "2026-01-01_2026-01-31.xlsx" in disposition
    assert table in disposition
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == [str(c) for c in shown.columns]
    assert rows[1:] == [[None if cell == "" else cell for cell in row] for row in shown.rows]

    csv_response = client.get(
        reverse("dashboards:export", args=[world.district.pk, table, "csv"]), JANUARY
    )
    assert csv_response["Content-Type"].startswith("text/csv")
    parsed = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert parsed[1:] == [[str(cell) for cell in row] for row in shown.rows]


def test_export_file_name_names_the_scope(client, world):
    _login(client, staff_user(StaffRole.STREET_STAFF, unit=world.s1))
    response = client.get(
        reverse("dashboards:export", args=[world.s1.pk, "handling", "csv"]), JANUARY
    )
    from urllib.parse import unquote

    assert "甲街道党工委_handling_2026-01-01_2026-01-31.csv" in unquote(
        response["Content-Disposition"]
    )


def test_unknown_table_or_format_is_not_found(client, world):
    _login(client, staff_user(StaffRole.ORG_DEPARTMENT, unit=world.district))
    assert (
        client.get(
            reverse("dashboards:export", args=[world.district.pk, "nope", "csv"])
        ).status_code
        == 404
    )
    assert (
        client.get(
            reverse("dashboards:export", args=[world.district.pk, "handling", "pdf"])
        ).status_code
        == 404
    )


def test_a_bad_date_range_falls_back_and_says_so(client, world):
    _login(client, staff_user(StaffRole.ORG_DEPARTMENT, unit=world.district))
    page = client.get(reverse("dashboards:dashboard"), {"start": "2026-02-01", "end": "2026-01-01"})
    assert page.status_code == 200
    assert page.context["form"].errors


def _district(size: int):
    """size streets × size communities × size grids, each grid with size² requests."""
    district = unit(UnitKind.DISTRICT)
    cat = category("环境", category("大类"))
    for _ in range(size):
        _, _, _, grid_units = chain(
            street=unit(UnitKind.STREET, district), communities=size, grids=size
        )
        for g in grid_units:
            grid = grid_for(g)
            for i in range(size * size):
                request(
                    grid, cat, at("2026-01-05"), accepted_after=1, resolved_after=i + 1,
                    status=Status.CLOSED if i % 2 else Status.SUBMITTED,
                )  # fmt: skip
    assert Grid.objects.count() == size**3
    district.category = cat.parent
    return district


# Session and user, the scope's top unit, categories, the summaries' age, party figures (5, and
# 2 for the 15-minute coverage on a cold cache), party by child, grids, handling by grid (whole
# months; with the channels), open by grid, trend (whole weeks, days at the ends), top categories
# (whole months, part-months, names), departments, breadcrumb: the same at any size.
# 双挂钩: 3 for the grids' party work in the period (posts, visits, hours).
# The heat layer: 2, the requests per building id, then those buildings' names and positions
# (the drill-through links cost none).
PAGE_QUERIES = 39  # 25 for requests and the organization, 14 for party work


@pytest.mark.parametrize("size", [1, 3])
def test_the_page_makes_the_same_number_of_queries_at_any_size(
    client, size, django_assert_num_queries
):
    district = _district(size)
    summaries_refresh(full=True)
    _login(client, staff_user(StaffRole.ORG_DEPARTMENT, unit=district))
    with django_assert_num_queries(PAGE_QUERIES):
        page = client.get(reverse("dashboards:dashboard"), JANUARY)
    assert page.context["board"].handling.received == size**3 * size**2


def test_the_filter_shows_the_dates_it_uses(client, world):
    from django.utils import timezone

    _login(client, staff_user(StaffRole.ORG_DEPARTMENT, unit=world.district))
    today = timezone.localdate().isoformat()
    assert f'value="{today}"' in client.get(reverse("dashboards:dashboard")).content.decode()
    html = client.get(reverse("dashboards:dashboard"), JANUARY).content.decode()
    assert 'value="2026-01-01"' in html and 'value="2026-01-31"' in html


# With a category the figures come from the summaries split by category, the departments
# called in live (their daily rows have no category), and one query more: the category's
# sub-categories, read once as a list of ids (RequestFilter.category_ids).
CATEGORY_PAGE_QUERIES = PAGE_QUERIES + 1


@pytest.mark.parametrize("size", [1, 3])
def test_a_category_page_makes_the_same_number_of_queries_at_any_size(
    client, size, django_assert_num_queries
):
    district = _district(size)
    summaries_refresh(full=True)
    _login(client, staff_user(StaffRole.ORG_DEPARTMENT, unit=district))
    with django_assert_num_queries(CATEGORY_PAGE_QUERIES):
        page = client.get(
            reverse("dashboards:dashboard"), {**JANUARY, "category": district.category.pk}
        )
    assert page.context["board"].handling.received == size**3 * size**2


def test_the_organization_figures_are_reused_until_the_organization_changes(
    client, world, django_assert_num_queries
):
    import datetime

    from django.utils.translation import pgettext

    from organization.models import OrgUnit, Person
    from organization.services import orgunit_rename
    from party_work.models import HouseholdLink, HouseholdVisit
    from tests.grids.factories import building
    from tests.organization.factories import PersonFactory

    _login(client, staff_user(StaffRole.ORG_DEPARTMENT, unit=world.district))
    first = client.get(reverse("dashboards:dashboard"), JANUARY)
    members = first.context["board"].party.party_members
    # A second view reads the party-building and party-work figures from the cache: 17 queries
    # fewer than the first (which the query-count test above pins), no grids' party work for
    # the assessment (3: posts, visits, hours), no coverage (2) and no heat layer's buildings
    # (2: the counts per building and the buildings, cached as long as the summaries may be old).
    with django_assert_num_queries(PAGE_QUERIES - 17 - 3 - 2 - 2):
        again = client.get(reverse("dashboards:dashboard"), JANUARY)
    assert again.context["board"].party.party_members == members

    # A household visit recorded in January: the next view counts it in the assessment.
    def visits(page):
        table = page.context["board"].tables["assessment"]
        visits_column = table.columns.index(pgettext("dashboard", "Household visits"))
        return {row[1]: row[visits_column] for row in table.rows}

    grid_name = world.u1.name
    assert visits(again)[grid_name] == 0
    link = HouseholdLink.objects.create(
        central_household=world.household, building=building(world.g1), address="一号楼",
        contact_name="住户",
    )  # fmt: skip
    HouseholdVisit.objects.create(link=link, visited_on=datetime.date(2026, 1, 5))
    assert visits(client.get(reverse("dashboards:dashboard"), JANUARY))[grid_name] == 1

    # A new party member, a renamed street: the next view shows both.
    Person.objects.create(
        name="新党员", phone="13800009999", political_status=PersonFactory.political_status,
        membership_unit=world.u1,
    )  # fmt: skip
    orgunit_rename(unit=OrgUnit.objects.get(pk=world.s1.pk), name="改名街道党工委")
    after = client.get(reverse("dashboards:dashboard"), JANUARY)
    assert after.context["board"].party.party_members == members + 1
    assert "改名街道党工委" in after.content.decode()
