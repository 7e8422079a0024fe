"""Reads of grids, buildings and stations: the public station finder and the 15-minute circle.

Coverage (15分钟党群便民服务圈) for the dashboards:
    coverage_summary(unit)         one CoverageRow for the unit's subtree (None: the district)
    coverage_by(unit, kind=...)    one CoverageRow per street / community / grid under the unit
    uncovered_buildings(unit)      the buildings beyond a 15-minute walk, farthest first
    coverage_report(unit)          all of these from one computation (the coverage page's)
"""

import datetime
import math
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Length
from django.utils import timezone

from organization.models import OrgUnit, UnitKind
from organization.selectors import filter_visible, subtree_q

from . import geo
from .hours import open_at_q, opening_status
from .models import Building, Grid, OpeningHours, ServiceStation, StationService


def grids_under(unit: OrgUnit) -> QuerySet[Grid]:
    """Every grid in a unit's subtree (a street's, a community's): one range query."""
    return Grid.objects.filter(subtree_q(unit, "unit"))


def grids_visible_to(user) -> QuerySet[Grid]:
    return filter_visible(Grid.objects.all(), user, Grid.SCOPE_PATH)


def buildings_visible_to(user) -> QuerySet[Building]:
    return filter_visible(Building.objects.all(), user, Building.SCOPE_PATH)


def stations_visible_to(user) -> QuerySet[ServiceStation]:
    return filter_visible(ServiceStation.objects.all(), user, ServiceStation.SCOPE_PATH)


# --- The public station finder ------------------------------------------------------------------


def stations_public() -> QuerySet[ServiceStation]:
    """Active stations with what their public pages show, in the chain's order (a community's
    centre, then its grid stations)."""
    return (
        ServiceStation.objects.filter(active=True)
        .select_related("owner_unit")
        .prefetch_related(
            Prefetch("services", queryset=StationService.objects.order_by("code")),
            Prefetch("hours", queryset=OpeningHours.objects.order_by("weekday", "opens")),
        )
        .order_by("owner_unit__tree_id", "owner_unit__lft", "name")
    )


def station_search(
    *,
    text: str = "",
    street: OrgUnit | None = None,
    community: OrgUnit | None = None,
    service: StationService | None = None,
    open_now: bool = False,
    when: datetime.datetime | None = None,
) -> QuerySet[ServiceStation]:
    qs = stations_public()
    text = text.strip()
    if text:
        words = Q()
        for word in text.split()[:5]:
            words &= (
                Q(name__icontains=word)
                | Q(address__icontains=word)
                | Q(owner_unit__name__icontains=word)
                | Q(services__name__icontains=word)
                | Q(services__name_en__icontains=word)
            )
        qs = qs.filter(pk__in=ServiceStation.objects.filter(words).values("pk"))
    if community is not None:
        qs = qs.filter(subtree_q(community, "owner_unit"))
    elif street is not None:
        qs = qs.filter(subtree_q(street, "owner_unit"))
    if service is not None:
        qs = qs.filter(services=service)
    if open_now:
        qs = qs.filter(open_at_q(when or timezone.now()))
    return qs


def station_public_detail(pk: int) -> ServiceStation:
    return stations_public().prefetch_related("grids_served").get(pk=pk)


def street_choices() -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(kind=UnitKind.STREET).order_by("code")


def community_choices() -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(kind=UnitKind.COMMUNITY).select_related("parent").order_by("code")


def service_choices() -> QuerySet[StationService]:
    return StationService.objects.filter(stations__active=True).distinct().order_by("code")


@dataclass(frozen=True)
class NearbyStation:
    station: ServiceStation
    straight_m: float

    @property
    def walking_m(self) -> float:
        return geo.walking_metres(self.straight_m)

    @property
    def walking_minutes(self) -> float:
        return geo.walking_minutes(self.straight_m)

    @property
    def minutes_shown(self) -> int:
        """What a resident reads: whole minutes, rounded up, at least one."""
        return max(1, math.ceil(self.walking_minutes - 1e-9))

    @property
    def metres_shown(self) -> int:
        return int(round(self.walking_m, -1))

    @property
    def within_circle(self) -> bool:
        return self.walking_minutes <= geo.SERVICE_CIRCLE_MINUTES


def nearest_stations(*, lat: float, lng: float, limit: int = 5) -> list[NearbyStation]:
    """The active stations nearest to a point, nearest first (ties by name)."""
    rows = list(ServiceStation.objects.filter(active=True).values_list("pk", "lat", "lng", "name"))
    if not rows or limit <= 0:
        return []
    pks = np.array([r[0] for r in rows])
    metres = geo.straight_metres_array(
        lat, lng, np.array([r[1] for r in rows]), np.array([r[2] for r in rows])
    )
    names = [r[3] for r in rows]
    order = sorted(range(len(rows)), key=lambda i: (round(float(metres[i]), 3), names[i]))[:limit]
    stations = stations_public().in_bulk([int(pks[i]) for i in order])
    return [NearbyStation(stations[int(pks[i])], float(metres[i])) for i in order]


def building_search(text: str, *, limit: int = 20) -> QuerySet[Building]:
    """Buildings whose address contains every word typed (for residents picking their own)."""
    # Shorter first, then by text: "3号楼" before "10号楼" within an estate.
    qs = Building.objects.select_related("grid").order_by(Length("address"), "address")
    words = text.split()[:5]
    if not words:
        return qs.none()
    for word in words:
        qs = qs.filter(Q(address__icontains=word) | Q(name__icontains=word))
    return qs[:limit]


# --- The 15-minute service circle ---------------------------------------------------------------


@dataclass
class CoverageRow:
    """Coverage of one unit's buildings: counts and shares within a 15-minute walk."""

    unit_id: int | None
    name: str
    kind: str
    buildings: int = 0
    covered_buildings: int = 0
    households: int = 0
    covered_households: int = 0

    @property
    def building_share(self) -> float:
        return self.covered_buildings / self.buildings if self.buildings else 0.0

    @property
    def household_share(self) -> float:
        return self.covered_households / self.households if self.households else 0.0

    @property
    def building_percent(self) -> float:
        return round(100 * self.building_share, 1)

    @property
    def household_percent(self) -> float:
        return round(100 * self.household_share, 1)

    @property
    def uncovered_buildings(self) -> int:
        return self.buildings - self.covered_buildings

    def as_dict(self) -> dict:
        return {
            "unit_id": self.unit_id,
            "name": self.name,
            "kind": self.kind,
            "buildings": self.buildings,
            "covered_buildings": self.covered_buildings,
            "building_share": round(self.building_share, 4),
            "households": self.households,
            "covered_households": self.covered_households,
            "household_share": round(self.household_share, 4),
        }


@dataclass(frozen=True)
class UncoveredBuilding:
    building_id: int
    address: str
    grid_name: str
    households: int
    nearest_station_id: int | None
    nearest_station_name: str
    walking_minutes: float


@dataclass
class BuildingMinutes:
    """Per building (parallel arrays): walking minutes to its nearest active station."""

    building_ids: np.ndarray
    households: np.ndarray
    grid_ids: np.ndarray
    community_ids: np.ndarray
    street_ids: np.ndarray
    minutes: np.ndarray
    nearest_station_ids: np.ndarray

    @property
    def covered(self) -> np.ndarray:
        return self.minutes <= geo.SERVICE_CIRCLE_MINUTES


@dataclass
class CoverageReport:
    unit: OrgUnit | None
    summary: CoverageRow
    streets: list[CoverageRow] = field(default_factory=list)
    communities: list[CoverageRow] = field(default_factory=list)
    grids: list[CoverageRow] = field(default_factory=list)
    uncovered: list[UncoveredBuilding] = field(default_factory=list)


def _buildings_of(unit: OrgUnit | None) -> QuerySet[Building]:
    qs = Building.objects.all()
    return qs if unit is None else qs.filter(subtree_q(unit, Building.SCOPE_PATH))


def building_walking_minutes(unit: OrgUnit | None = None) -> BuildingMinutes:
    """Walking minutes from every building under `unit` to its nearest active station anywhere
    in the district (a resident may well walk to the next community's centre). Two queries."""
    rows = _buildings_of(unit).values_list(
        "pk", "lat", "lng", "households", "grid_id", "grid__community_id",
        "grid__community__parent_id",
    )  # fmt: skip
    data = np.array(list(rows), dtype=float).reshape(-1, 7)
    stations = np.array(
        list(ServiceStation.objects.filter(active=True).values_list("pk", "lat", "lng")),
        dtype=float,
    ).reshape(-1, 3)
    index, metres = geo.nearest_points(data[:, 1], data[:, 2], stations[:, 1], stations[:, 2])
    nearest = np.where(index >= 0, stations[index, 0] if len(stations) else -1, -1)
    ids = data.astype(np.int64)
    return BuildingMinutes(
        building_ids=ids[:, 0],
        households=ids[:, 3],
        grid_ids=ids[:, 4],
        community_ids=ids[:, 5],
        street_ids=ids[:, 6],
        minutes=geo.walking_minutes(metres),
        nearest_station_ids=np.asarray(nearest, dtype=np.int64),
    )


_GROUP_ARRAY = {
    UnitKind.STREET: "street_ids",
    UnitKind.COMMUNITY: "community_ids",
    UnitKind.GRID: "grid_ids",
}


def _rows_by(minutes: BuildingMinutes, kind: str) -> list[CoverageRow]:
    keys = getattr(minutes, _GROUP_ARRAY[kind])
    if keys.size == 0:
        return []
    groups, inverse = np.unique(keys, return_inverse=True)
    covered = minutes.covered
    buildings = np.bincount(inverse)
    covered_b = np.bincount(inverse, weights=covered)
    households = np.bincount(inverse, weights=minutes.households)
    covered_h = np.bincount(inverse, weights=minutes.households * covered)
    if kind == UnitKind.GRID:
        names = dict(Grid.objects.filter(pk__in=groups.tolist()).values_list("pk", "name"))
        order = dict(Grid.objects.filter(pk__in=groups.tolist()).values_list("pk", "code"))
    else:
        units = OrgUnit.objects.filter(pk__in=groups.tolist()).values_list("pk", "name", "code")
        names = {pk: name for pk, name, _ in units}
        order = {pk: code for pk, _, code in units}
    rows = [
        CoverageRow(
            unit_id=int(key),
            name=names.get(int(key), ""),
            kind=kind,
            buildings=int(buildings[i]),
            covered_buildings=int(covered_b[i]),
            households=int(households[i]),
            covered_households=int(covered_h[i]),
        )
        for i, key in enumerate(groups)
    ]
    return sorted(rows, key=lambda row: order.get(row.unit_id, ""))


def _summary(minutes: BuildingMinutes, unit: OrgUnit | None) -> CoverageRow:
    covered = minutes.covered
    return CoverageRow(
        unit_id=unit.pk if unit else None,
        name=unit.name if unit else "",
        kind=unit.kind if unit else UnitKind.DISTRICT,
        buildings=int(minutes.building_ids.size),
        covered_buildings=int(covered.sum()),
        households=int(minutes.households.sum()),
        covered_households=int(minutes.households[covered].sum()),
    )


def _uncovered(minutes: BuildingMinutes, limit: int | None) -> list[UncoveredBuilding]:
    mask = ~minutes.covered
    order = np.argsort(-minutes.minutes[mask], kind="stable")
    if limit is not None:
        order = order[:limit]
    ids = minutes.building_ids[mask][order].tolist()
    mins = minutes.minutes[mask][order].tolist()
    station_ids = minutes.nearest_station_ids[mask][order].tolist()
    buildings = Building.objects.select_related("grid").in_bulk(ids)
    station_names = dict(
        ServiceStation.objects.filter(pk__in=set(station_ids)).values_list("pk", "name")
    )
    return [
        UncoveredBuilding(
            building_id=pk,
            address=buildings[pk].address,
            grid_name=buildings[pk].grid.name,
            households=buildings[pk].households,
            nearest_station_id=sid if sid >= 0 else None,
            nearest_station_name=station_names.get(sid, ""),
            walking_minutes=float(m),
        )
        for pk, m, sid in zip(ids, mins, station_ids, strict=True)
        if pk in buildings
    ]


def coverage_summary(unit: OrgUnit | None = None) -> CoverageRow:
    """Buildings and households under `unit` (None: the whole district) within 15 minutes."""
    return _summary(building_walking_minutes(unit), unit)


def coverage_by(
    unit: OrgUnit | None = None, *, kind: str = UnitKind.COMMUNITY
) -> list[CoverageRow]:
    """One row per street, community or grid under `unit`, in the chain's order."""
    return _rows_by(building_walking_minutes(unit), kind)


def uncovered_buildings(unit: OrgUnit | None = None, *, limit: int | None = None):
    """Buildings under `unit` beyond a 15-minute walk, the farthest first."""
    return _uncovered(building_walking_minutes(unit), limit)


def coverage_report(unit: OrgUnit | None = None, *, uncovered_limit: int | None = 200):
    """Summary, per street, per community and the uncovered buildings from one computation."""
    minutes = building_walking_minutes(unit)
    return CoverageReport(
        unit=unit,
        summary=_summary(minutes, unit),
        streets=_rows_by(minutes, UnitKind.STREET),
        communities=_rows_by(minutes, UnitKind.COMMUNITY),
        grids=_rows_by(minutes, UnitKind.GRID)
        if unit is not None and unit.kind == UnitKind.COMMUNITY
        else [],
        uncovered=_uncovered(minutes, uncovered_limit),
    )


def station_opening_status(station: ServiceStation, when: datetime.datetime | None = None):
    """Open now or not, and the next change (uses the prefetched hours)."""
    return opening_status(station.hours.all(), when or timezone.now())
