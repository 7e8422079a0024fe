import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids.models import Grid
from grids.selectors import grids_under
from organization.models import OrgUnit, StaffRole, UnitKind
from organization.selectors import units_visible_to

from .factories import chain, staff_user, unit

pytestmark = pytest.mark.django_db


def _street_with_grids(district, communities, grids_each):
    street = unit(UnitKind.STREET, district)
    _, _, comms, grid_units = chain(street=street, communities=communities, grids=grids_each)
    for g in grid_units:
        Grid.objects.create(code=g.code, name=g.name, community=g.parent, unit=g)
    return street, comms, grid_units


def _queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return len(ctx.captured_queries), result


@pytest.mark.parametrize("size", [1, 6])
def test_units_visible_to_is_one_query_whatever_the_size(size):
    district = unit(UnitKind.DISTRICT)
    street, comms, grids = _street_with_grids(district, communities=size, grids_each=size)
    other_street, _, _ = _street_with_grids(district, communities=size, grids_each=size)
    user = staff_user(StaffRole.STREET_STAFF, unit=street)

    count, visible = _queries(lambda: list(units_visible_to(user)))
    assert count == 1
    assert set(visible) == {street, *comms, *grids}
    assert other_street not in visible


@pytest.mark.parametrize("size", [1, 6])
def test_grids_under_a_street_is_one_query_whatever_the_size(size):
    district = unit(UnitKind.DISTRICT)
    street, _, grids = _street_with_grids(district, communities=size, grids_each=size)
    _street_with_grids(district, communities=2, grids_each=2)

    count, found = _queries(lambda: list(grids_under(street)))
    assert count == 1
    assert {g.unit_id for g in found} == {g.pk for g in grids}


def test_scope_is_the_subtree_for_each_role():
    district = unit(UnitKind.DISTRICT)
    street, [c1, c2], [g1, g2, g3, g4] = _street_with_grids(district, communities=2, grids_each=2)
    community_user = staff_user(StaffRole.COMMUNITY_STAFF, unit=c1)
    leader = staff_user(StaffRole.GRID_LEADER, unit=g1)
    org = staff_user(StaffRole.ORG_DEPARTMENT, unit=district)
    assert set(units_visible_to(community_user)) == {c1, g1, g2}
    assert set(units_visible_to(leader)) == {g1}
    assert set(units_visible_to(org)) == set(OrgUnit.objects.filter(tree_id=district.tree_id))


def test_a_user_without_a_scope_sees_nothing(django_user_model):
    unit(UnitKind.DISTRICT)
    nobody = django_user_model.objects.create_user("nobody", password="x-very-long-pw")
    assert list(units_visible_to(nobody)) == []
