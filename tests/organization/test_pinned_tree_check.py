"""What `check_organization_tree` reports (organization.selectors.tree_problems), as the operator
reads it: each kind of damage named with the unit's code and the stored and expected values,
anywhere in the tree and in a forest of two trees (found by `make mutants`)."""

import pytest

from organization.models import OrgUnit, UnitKind
from organization.selectors import tree_problems

from .factories import chain

pytestmark = pytest.mark.django_db


def _forest():
    first = chain(communities=2)
    second = chain()
    return first, second


def _stored(unit):
    return OrgUnit.objects.values("lft", "rght", "level", "tree_id").get(pk=unit.pk)


def test_an_empty_table_and_a_sound_forest_of_two_trees_have_no_problems():
    assert tree_problems() == []
    _forest()
    assert tree_problems() == []


def test_a_wrong_right_value_is_found_even_on_the_root_checked_last():
    (district, *_), _second = _forest()
    rght = _stored(district)["rght"]
    OrgUnit.objects.filter(pk=district.pk).update(rght=rght + 40)

    assert tree_problems() == [f"{district.code}: rght is {rght + 40}, expected {rght}"]


def test_a_wrong_left_value_and_a_wrong_level_are_named_with_both_values():
    _first, (_, _, _, [grid]) = _forest()
    stored = _stored(grid)
    OrgUnit.objects.filter(pk=grid.pk).update(level=5)
    assert tree_problems() == [f"{grid.code}: level is 5, expected {stored['level']}"]

    OrgUnit.objects.filter(pk=grid.pk).update(level=stored["level"], lft=stored["lft"] + 100)
    assert tree_problems() == [
        f"{grid.code}: lft is {stored['lft'] + 100}, expected {stored['lft']}"
    ]


def test_a_unit_carrying_another_trees_id_is_found():
    (_, _, _, [grid, _]), (other_district, *_) = _forest()
    OrgUnit.objects.filter(pk=grid.pk).update(tree_id=_stored(other_district)["tree_id"])

    assert f"{grid.code}: tree_id differs from its root's" in tree_problems()


def test_a_unit_under_a_parent_of_the_wrong_kind_is_found():
    (_, _, [community, _], [grid, _]), _second = _forest()
    OrgUnit.objects.filter(pk=grid.pk).update(kind=UnitKind.BUILDING)

    assert tree_problems() == [f"{grid.code}: a building under a community"]


def test_two_roots_sharing_a_tree_id_are_found():
    (district, *_), (other_district, *_) = _forest()
    OrgUnit.objects.filter(pk=other_district.pk).update(tree_id=_stored(district)["tree_id"])

    problems = tree_problems()
    shared = _stored(district)["tree_id"]
    assert any(
        p == f"{code}: shares tree_id {shared} with another root"
        for p in problems
        for code in (district.code, other_district.code)
    )
