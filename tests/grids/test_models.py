import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.exceptions import ApplicationError
from grids import services
from grids.models import Grid, ServiceStation, StationLevel
from organization.models import OrgForm, OrgUnit, UnitKind
from tests.organization.factories import chain, unit

from .factories import grid_for

pytestmark = pytest.mark.django_db


def test_a_grid_branch_cannot_belong_to_two_grids():
    _, _, _, [g1] = chain()
    grid_for(g1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Grid.objects.create(code="other", name="另一个网格", community=g1.parent, unit=g1)
    assert Grid.objects.filter(unit=g1).count() == 1


def test_a_grid_must_have_its_branch():
    _, _, [community], _ = chain(grids=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Grid.objects.create(code="no-branch", name="无支部网格", community=community)


def test_a_grid_is_tied_to_a_grid_unit_of_its_own_community():
    _, street, [c1, c2], [g1, _g2] = chain(communities=2)
    wrong_kind = Grid(code="x1", name="x", community=c1, unit=c2)
    with pytest.raises(ValidationError) as exc:
        wrong_kind.full_clean()
    assert "unit" in exc.value.message_dict
    other_community = Grid(code="x2", name="x", community=c2, unit=g1)
    with pytest.raises(ValidationError) as exc:
        other_community.full_clean()
    assert "unit" in exc.value.message_dict


def test_grid_create_makes_the_grid_and_its_party_group_together():
    _, _, [community], _ = chain(grids=0)
    grid = services.grid_create(
        community=community, code="JK-T-G09", name="测试第9网格", org_form=OrgForm.GROUP
    )
    assert grid.unit.kind == UnitKind.GRID
    assert grid.unit.org_form == OrgForm.GROUP
    assert grid.unit.parent_id == community.pk
    assert grid.unit.name == "测试第9网格党小组"
    # The one-to-one holds both ways: the branch knows its grid.
    assert OrgUnit.objects.get(pk=grid.unit.pk).grid == grid


def test_grid_create_under_a_street_fails_and_leaves_nothing_behind():
    _, street, _, _ = chain(grids=0)
    with pytest.raises(ApplicationError):
        services.grid_create(community=street, code="JK-T-G10", name="错层网格")
    assert not OrgUnit.objects.filter(code="JK-T-G10").exists()
    assert not Grid.objects.filter(code="JK-T-G10").exists()


def test_a_station_belongs_to_a_unit_of_its_level():
    _, street, [community], [g1] = chain()
    station = ServiceStation(
        name="站", level=StationLevel.GRID, owner_unit=community, address="a", lat=32.2, lng=119.4
    )
    with pytest.raises(ValidationError) as exc:
        station.full_clean()
    assert "owner_unit" in exc.value.message_dict
    station.owner_unit = g1
    station.full_clean()


def test_a_unit_of_another_kind_cannot_be_a_grid_branch():
    community = unit(UnitKind.COMMUNITY, unit(UnitKind.STREET, unit(UnitKind.DISTRICT)))
    grid = Grid(code="c", name="c", community=community, unit=community)
    with pytest.raises(ValidationError):
        grid.full_clean()


@pytest.mark.parametrize(
    ("boundary", "ok"),
    [
        (None, True),
        (
            {
                "type": "Polygon",
                "coordinates": [[[119.4, 32.2], [119.5, 32.2], [119.5, 32.3], [119.4, 32.2]]],
            },
            True,
        ),
        (
            {"type": "Polygon", "coordinates": [[[119.4, 32.2], [119.5, 32.2], [119.5, 32.3]]]},
            False,
        ),  # open ring
        (
            {
                "type": "Polygon",
                "coordinates": [[[32.2, 119.4], [32.2, 119.5], [32.3, 119.5], [32.2, 119.4]]],
            },
            False,
        ),  # lat, lng swapped
        ({"type": "Point", "coordinates": [119.4, 32.2]}, False),
        ("a polygon", False),
    ],
)
def test_a_grid_boundary_is_a_geojson_polygon(boundary, ok):
    _, _, _, [g1] = chain()
    grid = Grid(code="b", name="b", community=g1.parent, unit=g1, boundary=boundary)
    if ok:
        grid.full_clean()
    else:
        with pytest.raises(ValidationError) as exc:
            grid.full_clean()
        assert "boundary" in exc.value.message_dict
