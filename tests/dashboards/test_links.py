"""Drill-through: every count on the dashboard links to the admin list of exactly the requests it
counts, and the list holds as many rows as the figure says (for each scope, with and without a
category, from the summaries and live)."""

from html import unescape

import pytest
from django.urls import reverse

from organization.models import StaffRole
from resident_requests.models import Status
from tests.organization.factories import staff_user

from .factories import at, department_link, request

pytestmark = pytest.mark.django_db

JANUARY = {"start": "2026-01-01", "end": "2026-01-31"}
ADMIN_LIST = "/admin/resident_requests/residentrequest/"


def _listed(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["cl"].result_count


def _linked_figures(board):
    """(where, figure, link) for every linked count on the page."""
    figures = [
        (f"headline {name}", getattr(board.handling, name), url)
        for name, url in board.figure_links.items()
    ]
    for key, table in board.tables.items():
        for row_index, targets in table.cell_links.items():
            row = table.rows[row_index]
            for column, url in targets.items():
                figures.append((f"{key}: {row[0]} / {table.columns[column]}", row[column], url))
    return figures


@pytest.mark.parametrize(
    "role, scope", [(StaffRole.ORG_DEPARTMENT, "district"), (StaffRole.STREET_STAFF, "s1")]
)
@pytest.mark.parametrize("with_category", [False, True])
def test_every_linked_figure_lists_as_many_requests_as_it_counts(
    client, world, role, scope, with_category
):
    # At the edges: open since December (open and overdue now count it, January does not),
    # received in the last hour of the range, and in the first minute after it.
    request(world.g3, world.lights, at("2025-12-15"), status=Status.SUBMITTED)
    late = request(
        world.g1, world.lights, at("2026-01-31", 23), accepted_after=1, status=Status.ACCEPTED
    )
    # D1 called in on it in the last hour of January, and on r3 just after it.
    department_link(late, world.dept, called=at("2026-01-31", 23), acknowledged=True)
    department_link(world.r3, world.dept, called=at("2026-02-01", 0))
    request(world.g2, world.garbage, at("2026-02-01", 0), resolved_after=1, status=Status.RESOLVED)
    client.force_login(staff_user(role, unit=getattr(world, scope)))
    # A top-level category: its sub-categories count (公共安全 › 路灯: r3 open, r6); by month.
    query = (
        {**JANUARY, "category": world.lights.parent_id, "period": "month"}
        if with_category
        else JANUARY
    )
    page = client.get(reverse("dashboards:dashboard"), query)
    board = page.context["board"]
    figures = _linked_figures(board)
    linked = {where.split(":")[0].split(" ")[0] for where, _, _ in figures}
    assert {"headline", "handling", "units", "trend", "channels", "categories"} <= linked
    assert {"levels", "assessment", "open", "departments"} <= linked
    mismatches = [
        (where, figure, _listed(client, url))
        for where, figure, url in figures
        if figure != _listed(client, url)
    ]
    assert not mismatches
    # The figures are not all zero: the test compares real counts.
    assert board.handling.received and board.handling.overdue_now
    # The links are on the page.
    html = unescape(page.content.decode())
    assert board.figure_links["overdue_now"] in html
    assert board.tables["open"].cell_links[0][2] in html


def test_the_figures_links_say_what_they_count(client, world):
    client.force_login(staff_user(StaffRole.ORG_DEPARTMENT, unit=world.district))
    board = client.get(reverse("dashboards:dashboard"), JANUARY).context["board"]
    resolved = board.figure_links["resolved"]
    assert resolved.startswith(ADMIN_LIST)
    assert f"unit={world.district.pk}" in resolved and "counted=resolved" in resolved
    assert "created_at__gte=2026-01-01T00%3A00%3A00%2B08%3A00" in resolved
    assert "created_at__lt=2026-02-01T00%3A00%3A00%2B08%3A00" in resolved
    # Open and overdue are as of now: any day of receipt.
    assert "created_at" not in board.figure_links["overdue_now"]
    assert _listed(client, board.figure_links["overdue_now"]) == 1  # r3


def test_a_link_never_shows_more_than_the_users_scope(client, world):
    client.force_login(staff_user(StaffRole.STREET_STAFF, unit=world.s1))
    # The other street's unit, typed into the link by hand: nothing listed.
    assert _listed(client, f"{ADMIN_LIST}?unit={world.s2.pk}") == 0
    assert _listed(client, f"{ADMIN_LIST}?unit={world.u4.pk}") == 0
    assert _listed(client, f"{ADMIN_LIST}?unit={world.district.pk}") == 0  # above their scope
    assert _listed(client, f"{ADMIN_LIST}?unit={world.s1.pk}") == 6  # r1–r6, any day
    # Bad values list nothing rather than fail.
    assert _listed(client, f"{ADMIN_LIST}?unit=abc") == 0
    assert _listed(client, f"{ADMIN_LIST}?counted=nope") == 0
    assert _listed(client, f"{ADMIN_LIST}?department=abc") == 0
    assert _listed(client, f"{ADMIN_LIST}?department={world.dept.pk}&called_gte=soon") == 0
    assert _listed(client, f"{ADMIN_LIST}?department={world.dept.pk}&called_state=x") == 0
    assert _listed(client, f"{ADMIN_LIST}?department={world.dept.pk}") == 2  # r5, r6


def test_the_heat_layer_counts_requests_per_building_and_grid(client, world):
    client.force_login(staff_user(StaffRole.ORG_DEPARTMENT, unit=world.district))
    page = client.get(reverse("dashboards:dashboard"), JANUARY)
    heat = page.context["board"].heat
    # January's requests: G1 r1–r4, G2 r6, G4 r7 (each grid's requests at its one building).
    assert sorted(b["received"] for b in heat["buildings"]) == [1, 1, 4]
    assert sorted(g["received"] for g in heat["grids"]) == [1, 1, 4]
    assert all(b["lat"] and b["lng"] for b in heat["buildings"])
    map_data = page.context["map_data"]
    assert map_data["heat"] == heat
    # The category narrows the layer as it does the figures.
    page = client.get(reverse("dashboards:dashboard"), {**JANUARY, "category": world.lights.pk})
    assert sorted(b["received"] for b in page.context["board"].heat["buildings"]) == [1, 1]


def test_the_heat_layer_is_capped(client, world, monkeypatch):
    from dashboards import selectors

    monkeypatch.setattr(selectors, "HEAT_BUILDINGS", 1)
    client.force_login(staff_user(StaffRole.ORG_DEPARTMENT, unit=world.district))
    heat = client.get(reverse("dashboards:dashboard"), JANUARY).context["board"].heat
    assert [b["received"] for b in heat["buildings"]] == [4]  # the busiest
