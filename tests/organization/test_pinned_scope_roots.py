"""The tops of what a user sees (scope_root_units: the dashboards' and the station list's starting
point) and a unit's subtree (units_under), in a forest of two trees (found by `make mutants`)."""

import pytest
from django.contrib.auth import get_user_model

from organization.models import OrgUnit, StaffRole, StaffScope, UnitKind
from organization.selectors import scope_root_units, subtree_q, units_under

from .factories import chain, staff_user

pytestmark = pytest.mark.django_db


def test_a_superuser_starts_from_the_districts_and_staff_from_their_own_units():
    district, street, [community], _ = chain()
    other_district, _, [other_community], _ = chain()
    admin = get_user_model().objects.create_superuser("root", password="pw-for-tests-123")
    assert set(scope_root_units(admin)) == {district, other_district}

    user = staff_user(StaffRole.COMMUNITY_STAFF, unit=community)
    StaffScope.objects.create(user=user, unit=other_community, role=StaffRole.COMMUNITY_STAFF)
    staff_user(StaffRole.STREET_STAFF, unit=street)  # someone else's scope
    assert sorted(u.pk for u in scope_root_units(user)) == sorted(
        [community.pk, other_community.pk]
    )
    nobody = staff_user(StaffRole.COMMUNITY_STAFF, unit=community)
    StaffScope.objects.filter(user=nobody).delete()
    assert list(scope_root_units(nobody)) == []


def test_units_under_a_street_stay_in_its_tree_and_filter_by_kind():
    _, street, communities, grids = chain(communities=2)
    _, other_street, _, other_grids = chain(communities=2)

    under = set(units_under(street))
    assert under == {street, *communities, *grids}
    assert set(units_under(street, kind=UnitKind.GRID)) == set(grids)
    assert not set(units_under(other_street)) & under
    assert set(units_under(other_street, kind=UnitKind.GRID)) == set(other_grids)


def test_a_subtree_without_its_top_holds_only_the_units_below_in_the_same_tree():
    _, street, communities, grids = chain(communities=2)
    _, other_street, *_ = chain(communities=2)

    below = set(OrgUnit.objects.filter(subtree_q(street, include_self=False)))
    assert below == {*communities, *grids}
    grids_below = OrgUnit.objects.filter(subtree_q(street, "parent", include_self=False))
    assert set(grids_below) == set(grids)
    assert not set(OrgUnit.objects.filter(subtree_q(other_street, include_self=False))) & below
