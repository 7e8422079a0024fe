"""Dispatching a request to a volunteer team (party_work.VolunteerTeam): its leader takes it."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.exceptions import ApplicationError, OutOfScope
from resident_requests import services
from resident_requests.models import EventKind, Status
from tests.party_work.factories import team as make_team

from .factories import member, submit

pytestmark = pytest.mark.django_db


def accepted(w, building_index=0):
    request = submit(w, building_index=building_index)
    services.request_accept(request=request, actor=w.users["leader"])
    request.refresh_from_db()
    return request


@pytest.fixture
def team_a(w):
    """Grid A's team: led by grid A's member, with a second member."""
    return make_team(
        w.grids[0], members=[w.members[0], member(w.grids[0].unit)], name="红马甲服务队"
    )


def test_dispatch_to_a_team_of_the_grid_the_leader_takes_and_resolves(w, team_a):
    request = accepted(w)
    services.request_dispatch(
        request=request, actor=w.users["leader"], team=team_a, note="带上梯子"
    )
    request.refresh_from_db()
    assert request.status == Status.DISPATCHED
    assert request.assignee == team_a.leader
    assert request.assignee_team == team_a
    event = request.events.get(kind=EventKind.DISPATCHED)
    assert "红马甲服务队" in event.internal_note and "带上梯子" in event.internal_note
    assert event.assignee == team_a.leader

    services.request_take(request=request, actor=team_a.leader.user)
    services.request_resolve(request=request, actor=team_a.leader.user, note="已更换灯泡。")
    request.refresh_from_db()
    assert request.status == Status.RESOLVED
    assert request.assignee_team == team_a


def test_declining_or_escalating_clears_the_team(w, team_a):
    request = accepted(w)
    services.request_dispatch(request=request, actor=w.users["leader"], team=team_a)
    services.request_decline(request=request, actor=team_a.leader.user, reason="队员都不在")
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED
    assert request.assignee is None and request.assignee_team is None

    services.request_dispatch(request=request, actor=w.users["leader"], team=team_a)
    services.request_escalate(request=request, actor=w.users["leader"], note="需上级协调")
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED
    assert request.assignee is None and request.assignee_team is None


def test_a_team_of_another_grid_is_out_of_scope_and_nothing_changes(w):
    other = make_team(w.grids[2], members=[w.members[2]])
    request = accepted(w)
    with pytest.raises(OutOfScope):
        services.request_dispatch(request=request, actor=w.users["leader"], team=other)
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED
    assert request.assignee is None and request.assignee_team is None
    assert not request.events.filter(kind=EventKind.DISPATCHED).exists()


def test_an_inactive_team_or_one_without_a_leader_is_refused(w, team_a):
    request = accepted(w)
    team_a.active = False
    team_a.save()
    with pytest.raises(OutOfScope):
        services.request_dispatch(request=request, actor=w.users["leader"], team=team_a)
    leaderless = make_team(w.grids[0])
    with pytest.raises(ApplicationError, match=leaderless.name):
        services.request_dispatch(request=request, actor=w.users["leader"], team=leaderless)
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED


@pytest.mark.parametrize("both", [True, False])
def test_both_or_neither_is_a_clear_error(w, team_a, both):
    request = accepted(w)
    extra = {"assignee": w.members[0], "team": team_a} if both else {}
    with pytest.raises(ApplicationError, match=request.code) as caught:
        services.request_dispatch(request=request, actor=w.users["leader"], **extra)
    assert not isinstance(caught.value, OutOfScope)
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED and request.assignee is None


def transition_url(request, name):
    return reverse("admin:resident_requests_residentrequest_transition", args=[request.pk, name])


def test_admin_form_dispatches_to_a_team(client, w, team_a):
    make_team(w.grids[2], members=[w.members[2]])  # another grid's: not offered
    request = accepted(w)
    client.force_login(w.users["leader"])
    response = client.get(transition_url(request, "dispatch"))
    assert list(response.context["form"].fields["team"].queryset) == [team_a]
    # Both chosen: the form says so and nothing changes.
    response = client.post(
        transition_url(request, "dispatch"), {"assignee": w.members[0].pk, "team": team_a.pk}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED

    client.post(transition_url(request, "dispatch"), {"team": team_a.pk})
    request.refresh_from_db()
    assert request.status == Status.DISPATCHED
    assert (request.assignee, request.assignee_team) == (team_a.leader, team_a)
    change = reverse("admin:resident_requests_residentrequest_change", args=[request.pk])
    assert "红马甲服务队" in client.get(change).content.decode()
    listing = client.get(reverse("admin:resident_requests_residentrequest_changelist"))
    assert "红马甲服务队" in listing.content.decode()


def test_api_dispatches_with_a_team(w, team_a):
    request = accepted(w)
    api = APIClient()
    api.force_authenticate(w.users["leader"])
    url = f"/api/v1/requests/{request.code}/dispatch/"
    neither = api.post(url, {})
    assert neither.status_code == 400 and request.code in neither.json()["detail"]
    response = api.post(url, {"team": team_a.pk, "note": "带上梯子"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "dispatched"
    assert body["assignee"] == team_a.leader.pk
    assert (body["assignee_team"], body["assignee_team_name"]) == (team_a.pk, "红马甲服务队")

    member_api = APIClient()
    member_api.force_authenticate(team_a.leader.user)
    assert member_api.post(f"/api/v1/requests/{request.code}/take/", {}).json()["status"] == "taken"
