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


def test_the_chosen_period_shows_that_years_vanguard_models_beside_the_published_18(client, p):
    """The report's 18 vanguard models are of 2022 Q1: a date range in 2022 counts 2022's awards
    (today's year shows none), and the published figures no model records stay as published."""
    from django.conf import settings

    from party_work.models import VanguardAward

    for member in p.members[:3]:
        VanguardAward.objects.create(person=member, branch=p.grids[0].unit, year=2022, quarter=1)
    client.force_login(staff_user(StaffRole.STREET_STAFF, unit=p.street))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("dashboards:unit", args=[p.street.pk])

    def rows(params):
        table = client.get(url, params).context["tables"]["party_work"]
        return table, {str(row[0]): row[1:] for row in table.rows}

    table, in_2022 = rows({"start": "2022-01-01", "end": "2022-03-31"})
    assert table.title == "Party members at work, 2022"
    assert in_2022["Vanguard models this year (先锋榜样)"] == [3, "18 (2022 Q1)"]
    assert in_2022["Running branches (奔跑支部)"] == ["not recorded", "600+"]
    assert in_2022["Livelihood matters solved through 三结三问"] == ["not recorded", "500+"]
    assert in_2022["Difficulties solved by running branches"] == ["not recorded", "5,000+"]
    _, in_2026 = rows({"start": "2026-01-01", "end": "2026-03-31"})
    assert in_2026["Vanguard models this year (先锋榜样)"] == [0, "18 (2022 Q1)"]
