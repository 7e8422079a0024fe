"""Reads of grids, buildings and stations: the public station finder and the 15-minute circle.

Coverage (15分钟党群便民服务圈) for the dashboards:
    coverage_summary(unit)         one CoverageRow for the unit's subtree (None: the district)
    coverage_by(unit, kind=...)    one CoverageRow per street / community / grid under the unit
    uncovered_buildings(unit)      the buildings beyond a 15-minute walk, farthest first
    coverage_report(unit)          all of these from one computation (the coverage page's)
"""

import datetime
import math
import random
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.contrib.postgres.search import TrigramSimilarity
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from core.cache import LocalMemo
from organization.models import OrgUnit, UnitKind
from organization.selectors import filter_visible, subtree_q

from . import geo, search
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


# The request form's community picker is read on every view of the public form; communities
# change a few times a year. Kept in each process's memory under a version in the shared cache
# (core.cache.LocalMemo), dropped whenever a unit is saved or deleted.
COMMUNITIES_BY_STREET_TIMEOUT = 300


@dataclass(frozen=True, eq=False)
class CommunityGroups:
    """The communities by street; `version` changes whenever they do (the request form keys
    its memoized picker HTML by it)."""

    version: int
    groups: tuple[tuple[str, tuple[tuple[int, str], ...]], ...]


def _communities_by_street_build() -> CommunityGroups:
    by_street: dict[int, tuple[str, list]] = {}
    for pk, name, street_id, street_name in (
        OrgUnit.objects.filter(kind=UnitKind.COMMUNITY)
        .order_by("parent__code", "code")
        .values_list("pk", "name", "parent_id", "parent__name")
    ):
        by_street.setdefault(street_id, (street_name or "", []))[1].append((pk, name))
    # Tuples: the value is shared by every page of this process, and nobody may change it.
    groups = tuple((street, tuple(communities)) for street, communities in by_street.values())
    return CommunityGroups(version=random.getrandbits(62), groups=groups)  # noqa: S311


COMMUNITIES_BY_STREET = LocalMemo(
    "grids:communities-by-street",
    _communities_by_street_build,
    max_age=COMMUNITIES_BY_STREET_TIMEOUT,
)


def communities_by_street() -> tuple[tuple[str, tuple[tuple[int, str], ...]], ...]:
    """((street name, ((community id, community name), …)), …) in the chain's order."""
    return COMMUNITIES_BY_STREET.value().groups


@receiver(post_save, sender=OrgUnit, dispatch_uid="grids_communities_saved")
@receiver(post_delete, sender=OrgUnit, dispatch_uid="grids_communities_deleted")
def _units_changed(**kwargs) -> None:
    COMMUNITIES_BY_STREET.invalidate()


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
    """The station finder's and the API's building look-up: buildings_search."""
    return buildings_search(text, limit=limit)


# Below this trigram similarity a near miss is not offered (PostgreSQL only): "京口新村5号楼"
# (a character missing) still finds 京口路新村5号楼, unrelated words do not.
NEAR_MISS_SIMILARITY = 0.45
NEAR_MISS_RANK = 5


class _TrigramSimilar(Func):
    """`key % 'query'`: pg_trgm's similarity operator, the one its GIN index serves."""

    template = "%(expressions)s"
    arg_joiner = " %% "
    output_field = BooleanField()


def buildings_search(text: str, limit: int = 10) -> QuerySet[Building]:
    """The buildings a resident means by what they typed, best first, with their grids.

    Spellings count as one (grids.search): 五号楼 = 5栋 = 5号楼, full-width, spaces. A building
    matches when its key holds the whole query, or every word and number of it ("京口路5号楼"
    finds 京口路新村5号楼); on PostgreSQL also when it is trigram-similar (a typo). Exact, then
    prefix, then containing (also as "京口路5号楼" means 京口路新村5号楼), then word-by-word, then
    similar matches; within each, estates in text order and their buildings by number (1, 2 …
    10). One query."""
    query = search.parse_query(text)
    if query is None or limit <= 0:
        return Building.objects.none()
    every_word, every_number = Q(), Q()
    for token in query.tokens:
        every_word &= Q(search_key__contains=token)
        if token.startswith(search.NUMBER_MARK):
            every_number &= Q(search_key__contains=token)
    exact = Q(search_key=query.key) | Q(search_key__startswith=query.key + search.COMMUNITY_MARK)
    rank = Case(
        When(exact, then=Value(0)),
        When(search_key__startswith=query.key, then=Value(1)),
        When(search_key__contains=query.key, then=Value(2)),
        When(search_key__contains=query.expanded or query.key, then=Value(3)),
        When(every_word, then=Value(4)),
        default=Value(NEAR_MISS_RANK),
        output_field=IntegerField(),
    )
    qs = Building.objects.select_related("grid")
    if connection.vendor == "postgresql":
        similarity = TrigramSimilarity("search_key", Value(query.key))
        # Two index scans, one per kind of match. As one OR the planner misjudges pg_trgm's GIN
        # index and compares every key by trigrams (150 ms at 50,000 buildings, not 10).
        proper = Building.objects.filter(every_word)
        # Near misses only when nothing matches properly: "京口路新村1号楼" is not offered
        # 京口路花园1号楼 beside it; "京口新村1号楼", which matches nothing, is offered both.
        # (PostgreSQL checks the NOT EXISTS once, and skips the trigram scan when it fails.)
        near = (
            Building.objects.filter(~Exists(proper))
            .filter(_TrigramSimilar(F("search_key"), Value(query.key)))
            # A near miss in the words, never in the numbers: 5号楼 is not 15号楼.
            .filter(every_number)
            .annotate(likeness=similarity)
            .filter(likeness__gte=NEAR_MISS_SIMILARITY)
        )
        qs = (
            qs.filter(pk__in=proper.values("pk").order_by().union(near.values("pk").order_by()))
            .annotate(search_rank=rank)
            .order_by(
                "search_rank",
                # Near misses by likeness; the rest in the estates' own order.
                Case(When(search_rank=NEAR_MISS_RANK, then=-similarity), default=Value(0.0)),
                "sort_key",
                "pk",
            )
        )
    else:
        qs = qs.filter(every_word).annotate(search_rank=rank)
        qs = qs.order_by("search_rank", "sort_key", "pk")
    return qs[:limit]


# --- Where a place is: the grid of a request whose building is not in the list ----------------

# A map point within this distance of a building belongs to that building's grid.
NEAR_BUILDING_METRES = 300
# Grids whose boundary may hold a point: those whose centre lies within this distance (a grid in
# the old town is under a kilometre across; the outlying ones a few).
BOUNDARY_SEARCH_METRES = 5000
# Typed prefixes that every address in the district shares: they match nothing in particular.
_COMMON_PREFIXES = ("江苏省", "江苏", "镇江市", "镇江", "京口区", "京口")


class PlaceFound:
    BOUNDARY = "boundary"  # the point lies inside the grid's boundary
    NEAR_BUILDING = "building"  # the point lies near one of the grid's buildings
    COMMUNITY = "community"  # only the community is known: its triage queue takes it


@dataclass(frozen=True)
class PlaceMatch:
    grid: Grid
    how: str  # a PlaceFound value
    building: Building | None = None  # the building near the point (NEAR_BUILDING)
    metres: float | None = None


def _grids_for_requests() -> QuerySet[Grid]:
    # What a submission and its notifications read next: the leader, the branch, the community.
    return Grid.objects.select_related("leader", "unit", "community")


def point_in_district(lat: float, lng: float) -> bool:
    """Whether a point lies within settings.DISTRICT_BOUNDS (the district plus a margin)."""
    south, west, north, east = settings.DISTRICT_BOUNDS
    return south <= lat <= north and west <= lng <= east


def grid_for_point(lat: float, lng: float) -> PlaceMatch | None:
    """The grid of a map point: the grid whose boundary holds it, else the grid of the nearest
    building within NEAR_BUILDING_METRES; None if neither. Two queries, each narrowed by a
    bounding box in SQL."""
    south, west, north, east = geo.metres_box(lat, lng, BOUNDARY_SEARCH_METRES)
    outlined = (
        _grids_for_requests()
        .filter(boundary__isnull=False)
        .filter(
            Q(center_lat__range=(south, north), center_lng__range=(west, east))
            | Q(center_lat__isnull=True)
            | Q(center_lng__isnull=True)
        )
        .order_by("code")
    )
    for grid in outlined:
        if geo.polygon_contains(grid.boundary, lat, lng):
            return PlaceMatch(grid=grid, how=PlaceFound.BOUNDARY)
    south, west, north, east = geo.metres_box(lat, lng, NEAR_BUILDING_METRES)
    near = Building.objects.filter(
        lat__range=(south, north), lng__range=(west, east)
    ).select_related("grid__leader", "grid__unit", "grid__community")
    best, best_m = None, float("inf")
    for building in near:
        metres = geo.straight_metres(lat, lng, building.lat, building.lng)
        if metres < best_m or (metres == best_m and best and building.pk < best.pk):
            best, best_m = building, metres
    if best is None or best_m > NEAR_BUILDING_METRES:
        return None
    return PlaceMatch(grid=best.grid, how=PlaceFound.NEAR_BUILDING, building=best, metres=best_m)


def _address_terms(text: str) -> list[str]:
    """What to look for in building addresses: the text as typed, then its part before the
    first digit (the road or the estate: "恒美嘉园" of "恒美嘉园15号楼302")."""
    text = "".join((text or "").replace("\x00", "").split())[:50]
    for prefix in _COMMON_PREFIXES:
        if text.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix) :]
    terms = [text] if len(text) >= 2 else []
    head = next((text[:i] for i, ch in enumerate(text) if ch.isdigit()), text)
    if len(head) >= 2 and head not in terms:
        terms.append(head)
    return terms


def grid_for_address(text: str, *, community: OrgUnit | None = None) -> Grid | None:
    """The grid (of `community`, if given) with the most buildings whose address matches the
    typed text (see _address_terms); with no match, the community's first grid by code, or None
    without a community. At most three queries."""
    buildings = Building.objects.all()
    if community is not None:
        buildings = buildings.filter(grid__community=community)
    for term in _address_terms(text):
        best = (
            buildings.filter(Q(address__icontains=term) | Q(name__icontains=term))
            .values("grid_id", "grid__code")
            .annotate(matched=Count("pk"))
            .order_by("-matched", "grid__code")
            .first()
        )
        if best:
            return _grids_for_requests().get(pk=best["grid_id"])
    if community is None:
        return None
    return _grids_for_requests().filter(community=community).order_by("code").first()


def place_for_request(
    *,
    lat: float | None = None,
    lng: float | None = None,
    address: str = "",
    community: OrgUnit | None = None,
) -> PlaceMatch | None:
    """Where a request goes when its building is not in the list: the grid of the map point
    (grid_for_point); failing that, a grid of the chosen community, or of the community whose
    buildings match the typed address, as a community-level request (the community's triage
    queue); None when nothing at all says where."""
    if lat is not None and lng is not None:
        match = grid_for_point(lat, lng)
        if match is not None:
            return match
    grid = grid_for_address(address, community=community)
    if grid is None and lat is not None and lng is not None:
        # A point in the district, far from any known building: the community of the nearest
        # grid centre triages it (a community's staff know their streets).
        grid = _nearest_grid_by_centre(lat, lng)
    if grid is None:
        return None
    return PlaceMatch(grid=grid, how=PlaceFound.COMMUNITY)


def _nearest_grid_by_centre(lat: float, lng: float) -> Grid | None:
    rows = list(
        Grid.objects.filter(center_lat__isnull=False, center_lng__isnull=False).values_list(
            "pk", "center_lat", "center_lng"
        )
    )
    if not rows:
        return None
    metres = geo.straight_metres_array(
        lat, lng, np.array([r[1] for r in rows]), np.array([r[2] for r in rows])
    )
    return _grids_for_requests().get(pk=rows[int(np.argmin(metres))][0])


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
    lats: np.ndarray
    lngs: np.ndarray

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
        lats=data[:, 1],
        lngs=data[:, 2],
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


def coverage_summary_of(minutes: BuildingMinutes, unit: OrgUnit | None) -> CoverageRow:
    """The summary row of an already computed building_walking_minutes (no query)."""
    return _summary(minutes, unit)


def buildings_with_grid(ids: list[int]) -> dict[int, Building]:
    """Buildings by id with their grid: one query."""
    return Building.objects.select_related("grid").in_bulk(ids)


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


# --- The base map drawn from the portal's own data (grids/basemap.py) --------------------------
# Cached whole; any save or delete of a unit, grid, building or station starts a new generation.
# Bulk loads (load_demo, imports) send no signals: they call basemap_forget(), and the timeout
# bounds how stale the map can be in any case.
BASEMAP_GENERATION_KEY = "grids:basemap:generation"


def _basemap_key(name: str) -> str:

    generation = cache.get(BASEMAP_GENERATION_KEY) or 0
    return f"grids:basemap:{generation}:{name}"


def basemap_forget() -> None:
    """Drop the cached base map (after a bulk change of units, grids, buildings or stations)."""
    import time

    cache.set(BASEMAP_GENERATION_KEY, time.time_ns(), None)


def basemap_outlines() -> dict:
    """The district as a GeoJSON FeatureCollection: street, community and grid outlines (drawn,
    else derived from their buildings) with label points, and the active stations. Four queries
    whatever the district's size; cached."""
    from django.conf import settings

    from . import basemap

    key = _basemap_key("outlines")
    found = cache.get(key)
    if found is not None:
        return found
    units = [
        basemap.UnitPlace(u["kind"], u["id"], u["name"], u["parent_id"], u["boundary"])
        for u in OrgUnit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.COMMUNITY])
        .order_by("tree_id", "lft")
        .values("kind", "id", "name", "parent_id", "boundary")
    ]
    units += [
        basemap.UnitPlace(UnitKind.GRID, g["id"], g["name"], g["community_id"], g["boundary"])
        for g in Grid.objects.order_by("code").values("id", "name", "community_id", "boundary")
    ]
    buildings = [
        basemap.BuildingPlace(lat, lng, street, community, grid)
        for lat, lng, grid, community, street in Building.objects.order_by("pk").values_list(
            "lat", "lng", "grid_id", "grid__community_id", "grid__community__parent_id"
        )
    ]
    features = basemap.outline_features(units, buildings)
    features += [
        basemap.point_feature(
            s["lat"],
            s["lng"],
            {"kind": "station", "id": s["id"], "name": s["name"], "level": s["level"]},
        )
        for s in ServiceStation.objects.filter(active=True)
        .order_by("pk")
        .values("id", "name", "level", "lat", "lng")
    ]
    collection = {"type": "FeatureCollection", "features": features}
    cache.set(key, collection, settings.MAP_BASEMAP_CACHE_SECONDS)
    return collection


def basemap_buildings(community_id: int) -> dict:
    """A community's buildings as one GeoJSON MultiPoint (the base map shows them zoomed in);
    one query, cached."""
    from django.conf import settings

    from . import basemap

    key = _basemap_key(f"buildings:{int(community_id)}")
    found = cache.get(key)
    if found is not None:
        return found
    points = [
        [round(lng, basemap.DECIMALS), round(lat, basemap.DECIMALS)]
        for lat, lng in Building.objects.filter(grid__community_id=community_id)
        .order_by("pk")
        .values_list("lat", "lng")
    ]
    feature = {
        "type": "Feature",
        "properties": {"kind": "buildings", "community": int(community_id)},
        "geometry": {"type": "MultiPoint", "coordinates": points},
    }
    cache.set(key, feature, settings.MAP_BASEMAP_CACHE_SECONDS)
    return feature


def _basemap_changed(**kwargs) -> None:

    basemap_forget()
    transaction.on_commit(basemap_forget)


def _connect_basemap_signals() -> None:
    from django.db.models import signals

    for model in (OrgUnit, Grid, Building, ServiceStation):
        name = model.__name__
        signals.post_save.connect(_basemap_changed, sender=model, dispatch_uid=f"basemap_{name}_s")
        signals.post_delete.connect(
            _basemap_changed, sender=model, dispatch_uid=f"basemap_{name}_d"
        )


_connect_basemap_signals()
