"""A small district for party_work's tests: a street with two communities (one grid each, with
a building and a central household), a second street, party members, and helpers to make
sessions, bookings, household links and requests with known dates."""

import datetime
import itertools
from dataclasses import dataclass, field

from django.utils import timezone

from grids.models import Building, Grid
from organization.models import OrgUnit, Person, UnitKind
from party_work.models import (
    HouseholdLink,
    ReceptionSession,
    Representative,
    SessionStatus,
    VolunteerTeam,
)
from tests.grids.factories import building, grid_for
from tests.organization.factories import PersonFactory, chain, unit

_n = itertools.count(1)


@dataclass
class Place:
    district: OrgUnit
    street: OrgUnit
    communities: list
    grids: list  # Grid rows, one per community
    buildings: list  # one per grid
    households: list  # central household units, one per grid
    members: list  # party members, two per grid
    other_street: OrgUnit
    other_grid: Grid
    other_building: Building
    other_household: OrgUnit
    other_member: Person
    extra: dict = field(default_factory=dict)


def _household_under(grid_unit: OrgUnit) -> OrgUnit:
    building_unit = unit(UnitKind.BUILDING, grid_unit)
    return unit(UnitKind.HOUSEHOLD, building_unit)


def place() -> Place:
    district, street, communities, grid_units = chain(communities=2, grids=1)
    grids = [grid_for(u) for u in grid_units]
    buildings = [building(g, north=i) for i, g in enumerate(grids)]
    households = [_household_under(u) for u in grid_units]
    members = [PersonFactory(membership_unit=u) for u in grid_units for _ in range(2)]
    other_street = unit(UnitKind.STREET, district)
    other_community = unit(UnitKind.COMMUNITY, other_street)
    other_grid_unit = unit(UnitKind.GRID, other_community)
    other_grid = grid_for(other_grid_unit)
    return Place(
        district=district,
        street=street,
        communities=communities,
        grids=grids,
        buildings=buildings,
        households=households,
        members=members,
        other_street=other_street,
        other_grid=other_grid,
        other_building=building(other_grid, north=5),
        other_household=_household_under(other_grid_unit),
        other_member=PersonFactory(membership_unit=other_grid_unit),
    )


def deputy(community: OrgUnit, **extra) -> Representative:
    return Representative.objects.create(
        name=extra.pop("name", f"代表{next(_n)}"),
        kind=extra.pop("kind", "peoples_congress"),
        level=extra.pop("level", "district"),
        community=community,
        **extra,
    )


def session(community: OrgUnit, *, days_ahead: int = 5, capacity: int = 3, **extra):
    obj = ReceptionSession.objects.create(
        community=community,
        date=extra.pop("date", timezone.localdate() + datetime.timedelta(days=days_ahead)),
        place=extra.pop("place", "社区代表委员工作室"),
        capacity=capacity,
        status=extra.pop("status", SessionStatus.SCHEDULED),
        **extra,
    )
    obj.deputies.add(deputy(community))
    return obj


def link(household: OrgUnit, *, last_visit=None, **extra) -> HouseholdLink:
    n = next(_n)
    return HouseholdLink.objects.create(
        central_household=household,
        address=extra.pop("address", f"测试小区{n}号楼101室"),
        contact_name=extra.pop("contact_name", f"住户{n}"),
        contact_phone=extra.pop("contact_phone", f"137{n:08d}"),
        last_visit=last_visit,
        **extra,
    )


def team(grid: Grid, members=(), **extra) -> VolunteerTeam:
    obj = VolunteerTeam.objects.create(
        grid=grid,
        name=extra.pop("name", f"志愿服务队{next(_n)}"),
        services=extra.pop("services", "助老, 维修"),
        leader=members[0] if members else None,
        **extra,
    )
    obj.members.set(members)
    return obj
