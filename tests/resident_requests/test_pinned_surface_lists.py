"""Which actions each surface lists for one user who is both a grid leader and the party member
the order went to, written out: the scope matrix compares each surface with
transitions_available, so a list wrong in transitions_available itself would pass there."""

import pytest

from resident_requests import selectors, services
from resident_requests.transitions import Surface

from .factories import submit

pytestmark = pytest.mark.django_db


def _names(user, request, surface):
    return [t.name for t in selectors.transitions_available(user, request, surface=surface)]


def test_a_leader_who_is_also_the_assigned_member_sees_each_role_where_it_acts(w):
    leader = w.users["leader"]
    member = w.members[0]
    member.user = leader
    member.save()
    request = submit(w)
    services.request_accept(request=request, actor=leader)
    services.request_dispatch(request=request, actor=leader, assignee=member)
    request.refresh_from_db()
    # The admin: what the grid leader does as staff; the member pages: what the party member
    # does with the order; the API serves both.
    assert _names(leader, request, Surface.ADMIN) == ["escalate"]
    assert _names(leader, request, Surface.MEMBER) == ["take", "decline"]
    assert _names(leader, request, Surface.API) == ["take", "decline", "escalate"]

    services.request_take(request=request, actor=leader)
    request.refresh_from_db()
    assert _names(leader, request, Surface.ADMIN) == ["escalate"]
    assert _names(leader, request, Surface.MEMBER) == ["decline", "resolve", "extend", "suspend"]
