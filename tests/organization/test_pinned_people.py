"""Who sees a person (visible_q_for(Person, user)): through the person's membership unit, or
through a post they hold in the user's area, so a grid leader who is not a party member of that
grid is still listed for the staff above the grid (found by `make mutants`)."""

import datetime

import pytest
from django.db.models import Q

from organization.models import Person, PoliticalStatus, Position, Role, StaffRole
from organization.selectors import visible_q_for

from .factories import PersonFactory, chain, staff_user

pytestmark = pytest.mark.django_db


def _visible(user):
    q = visible_q_for(Person, user)
    return set(Person.objects.filter(q if q is not None else Q()).values_list("pk", flat=True))


def test_staff_see_their_members_and_the_leaders_of_their_grids_but_no_one_else():
    _, street, [community], [grid] = chain()
    _, _, [other_community], [other_grid] = chain()
    member = PersonFactory(membership_unit=grid)
    leader = PersonFactory(political_status=PoliticalStatus.MASSES, membership_unit=None)
    Position.objects.create(
        person=leader, unit=grid, role=Role.GRID_LEADER, start_date=datetime.date(2025, 1, 1)
    )
    stranger = PersonFactory(membership_unit=other_grid)
    other_leader = PersonFactory(membership_unit=None)
    Position.objects.create(
        person=other_leader,
        unit=other_grid,
        role=Role.GRID_LEADER,
        start_date=datetime.date(2025, 1, 1),
    )

    seen = _visible(staff_user(StaffRole.COMMUNITY_STAFF, unit=community))
    assert {member.pk, leader.pk} <= seen
    assert not {stranger.pk, other_leader.pk} & seen
    assert _visible(staff_user(StaffRole.COMMUNITY_STAFF, unit=other_community)) >= {
        stranger.pk,
        other_leader.pk,
    }
