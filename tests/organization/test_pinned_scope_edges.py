"""Scope edges a mutation run of organization/selectors.py found no test holding: the post
rule that lets staff see the people holding posts in their area applies to people only."""

import datetime

import pytest

from grids.models import Grid
from organization.models import Person, Position, Role, StaffRole
from organization.selectors import visible_q_for

from .factories import PersonFactory, chain, staff_user

pytestmark = pytest.mark.django_db


def test_a_post_in_scope_makes_its_holder_visible_but_nothing_else_with_the_same_id():
    district, street, _, (grid_unit,) = chain()
    _, other_street, (other_community,), (other_grid_unit,) = chain()
    user = staff_user(StaffRole.STREET_STAFF, unit=street)
    holder = PersonFactory(membership_unit=other_grid_unit)
    Position.objects.create(
        person=holder, unit=grid_unit, role=Role.GRID_LEADER, start_date=datetime.date.today()
    )
    # A grid out of the user's scope whose id is the post holder's id.
    Grid.objects.create(
        pk=holder.pk,
        code="OUT1",
        name="外街网格",
        community=other_community,
        unit=other_grid_unit,
    )

    people = Person.objects.filter(visible_q_for(Person, user))
    grids = Grid.objects.filter(visible_q_for(Grid, user))

    assert holder in people
    assert not grids.filter(pk=holder.pk).exists()
