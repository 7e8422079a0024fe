"""Party members' work shows on the organization department's dashboard, scoped."""

from django.urls import reverse

from organization.models import StaffRole
from tests.organization.factories import staff_user

from .factories import team


def test_the_dashboard_shows_the_streets_volunteer_teams(client, p):
    team(p.grids[0], members=p.members[:2])
    team(p.grids[1])
    team(p.other_grid)  # another street's: not counted
    client.force_login(staff_user(StaffRole.STREET_STAFF, unit=p.street))
    response = client.get(reverse("dashboards:unit", args=[p.street.pk]))
    assert response.status_code == 200
    table = response.context["tables"]["party_work"]
    rows = {row[0]: row[1] for row in table.rows}
    teams_label = next(label for label in rows if "志愿" in str(label) or "team" in str(label))
    assert str(rows[teams_label]) == "2"
