"""resident_requests.teams: the volunteer teams party_work registers for dispatch."""

import pytest


@pytest.mark.django_db
def test_the_requests_app_offers_no_team_while_party_work_registers_none(monkeypatch):
    from party_work.models import VolunteerTeam
    from resident_requests import teams

    monkeypatch.setattr(teams, "_teams_for_request", None)
    offered = teams.teams_for_request(request=None)
    assert offered.model is VolunteerTeam
    assert list(offered) == []
