"""The API: public coming sessions and honour page; staff lists within their scope."""

from rest_framework.test import APIClient

from organization.models import StaffRole
from party_work.models import VanguardAward
from tests.organization.factories import staff_user

from .factories import link, session, team


def rows(response):
    """The rows of a list, paginated or not."""
    data = response.json()
    return data["results"] if isinstance(data, dict) else data


def test_public_sessions_need_no_login_and_show_no_personal_data(p):
    from party_work import services

    s = session(p.communities[0], capacity=5)
    session(p.communities[0], days_ahead=-2)
    services.reception_book(session=s, name="王大爷", phone="13912345678", topic="停车难")
    response = APIClient().get("/api/v1/party-work/public/sessions/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [s.pk]
    assert response.json()[0]["places_left"] == 4
    assert "13912345678" not in response.content.decode()


def test_public_honour_is_name_and_branch(p):
    member = p.members[0]
    VanguardAward.objects.create(person=member, branch=member.membership_unit, year=2026, quarter=1)
    response = APIClient().get("/api/v1/party-work/public/honour/")
    assert response.json() == [
        {"name": member.name, "branch": member.membership_unit.name, "year": 2026, "quarter": 1}
    ]


def test_staff_lists_need_a_login(p):
    assert APIClient().get("/api/v1/party-work/teams/").status_code in (401, 403)


def test_staff_lists_are_scoped(p):
    team(p.grids[0], name="甲队")
    team(p.other_grid, name="乙队")
    link(p.households[0], contact_phone="13711112222")
    link(p.other_household)
    client = APIClient()
    client.force_authenticate(staff_user(StaffRole.STREET_STAFF, unit=p.street))
    teams = rows(client.get("/api/v1/party-work/teams/"))
    assert [t["name"] for t in teams] == ["甲队"]
    households = rows(client.get("/api/v1/party-work/households/"))
    assert len(households) == 1 and households[0]["contact_phone"] == "137****2222"
    assert len(rows(client.get("/api/v1/party-work/households/?due=1"))) == 1


def test_figures_of_a_unit_in_scope(p):
    team(p.grids[0], members=p.members[:2])
    client = APIClient()
    client.force_authenticate(staff_user(StaffRole.STREET_STAFF, unit=p.street))
    response = client.get(f"/api/v1/party-work/figures/?unit={p.street.pk}")
    assert response.status_code == 200
    assert response.json()["teams"] == 1 and response.json()["team_members"] == 2
    assert client.get(f"/api/v1/party-work/figures/?unit={p.other_street.pk}").status_code == 404
