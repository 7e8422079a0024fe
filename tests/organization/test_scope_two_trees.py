"""Scopes never cross from one tree into another, even where their left/right numbers overlap."""

import pytest

from organization.models import OrgUnit, StaffRole, UnitKind
from organization.selectors import scope_q, units_visible_to
from tests.grids.factories import grid_for
from tests.organization.factories import chain, staff_user

pytestmark = pytest.mark.django_db


def test_a_street_user_sees_nothing_of_a_second_tree_with_the_same_shape():
    _district, street, _communities, grids = chain(communities=2, grids=2)
    _other_district, other_street, _other_communities, other_grids = chain(communities=2, grids=2)
    other_street.refresh_from_db()
    street.refresh_from_db()
    # The same shape gives the same left/right numbers in both trees: only tree_id tells them apart.
    assert other_street.tree_id != street.tree_id
    assert (other_street.lft, other_street.rght) == (street.lft, street.rght)
    user = staff_user(StaffRole.STREET_STAFF, unit=street)

    visible = set(units_visible_to(user).values_list("pk", flat=True))

    ours = set(
        OrgUnit.objects.filter(
            tree_id=street.tree_id, lft__gte=street.lft, rght__lte=street.rght
        ).values_list("pk", flat=True)
    )
    assert visible == ours
    assert other_street.pk not in visible
    assert not visible & {g.pk for g in other_grids}
    # Rows reached through a path (a grid's unit) follow the same rule.
    grid, other_grid = grid_for(grids[0]), grid_for(other_grids[0])
    from grids.models import Grid

    seen_grids = set(Grid.objects.filter(scope_q(user, "unit")).values_list("pk", flat=True))
    assert grid.pk in seen_grids and other_grid.pk not in seen_grids
    assert OrgUnit.objects.filter(kind=UnitKind.DISTRICT, parent__isnull=True).count() == 2
