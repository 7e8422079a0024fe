"""Grids, buildings and stations for the tests, placed at exact points.

Distances in the tests are measured along a meridian, where one thousandth of a degree of
latitude is 111.195 m on the sphere geo.EARTH_RADIUS_M: easy to compute by hand.
"""

import datetime
import itertools

from grids import services
from grids.models import Building, Grid, ServiceStation, StationLevel, StationService
from organization.models import OrgUnit, UnitKind
from tests.organization.factories import unit

BASE_LAT, BASE_LNG = 32.2000, 119.4500
_n = itertools.count(1)


def grid_for(unit: OrgUnit, **extra) -> Grid:
    """The Grid row of an existing grid unit."""
    return Grid.objects.create(
        code=unit.code, name=extra.pop("name", f"{unit.name}网格"), community=unit.parent,
        unit=unit, **extra,
    )  # fmt: skip


def building(grid: Grid, *, north: float = 0.0, households: int = 10, **extra) -> Building:
    """A building `north` thousandths of a degree north of the base point."""
    n = next(_n)
    return Building.objects.create(
        grid=grid,
        name=extra.pop("name", f"{n}号楼"),
        address=extra.pop("address", f"测试小区{n}号楼"),
        lat=BASE_LAT + north / 1000,
        lng=BASE_LNG,
        households=households,
        **extra,
    )


def service(code: str, name: str, name_en: str = "") -> StationService:
    return StationService.objects.get_or_create(
        code=code, defaults={"name": name, "name_en": name_en}
    )[0]


LEVEL_OF_KIND = {
    UnitKind.DISTRICT: StationLevel.DISTRICT,
    UnitKind.STREET: StationLevel.STREET,
    UnitKind.COMMUNITY: StationLevel.COMMUNITY,
    UnitKind.GRID: StationLevel.GRID,
}

WEEKDAY_OFFICE = [(d, datetime.time(8, 30), datetime.time(17, 30)) for d in range(5)]


def station(
    owner: OrgUnit,
    *,
    north: float = 0.0,
    hours=WEEKDAY_OFFICE,
    services_offered=(),
    grids=(),
    **extra,
) -> ServiceStation:
    n = next(_n)
    obj = ServiceStation.objects.create(
        name=extra.pop("name", f"测试党群服务站{n}"),
        level=LEVEL_OF_KIND[owner.kind],
        owner_unit=owner,
        address=extra.pop("address", f"京口区测试路{n}号"),
        lat=BASE_LAT + north / 1000,
        lng=extra.pop("lng", BASE_LNG),
        phone=extra.pop("phone", "0511-85000000"),
        **extra,
    )
    services.station_set_hours(station=obj, periods=hours)
    if services_offered:
        obj.services.set(services_offered)
    if grids:
        obj.grids_served.set(grids)
    return obj


# --- The residents' building search ------------------------------------------------------------


def _estate(grid, prefix: str, count: int) -> list[Building]:
    # Created in text order ("10号楼" before "2号楼"), as a careless import would.
    numbers = sorted(range(1, count + 1), key=str)
    return [
        services.building_create(
            grid=grid, name=f"{n}号楼", address=f"{prefix}{n}号楼", lat=32.2, lng=119.45
        )
        for n in numbers
    ]


def estates_district() -> dict[str, list[Building]]:
    """Like the demo: 京口路社区 with 京口路新村 (15 buildings), 京口路花园 (12) and 京口路公寓 (8);
    东街社区 with 谏电二邨 (6), a 梦溪新村 (16) and a village group."""
    district = unit(UnitKind.DISTRICT)
    street = unit(UnitKind.STREET, district)
    jkl = unit(UnitKind.COMMUNITY, street, name="京口路社区党委")
    g1, g2 = unit(UnitKind.GRID, jkl), unit(UnitKind.GRID, jkl)
    dongjie = unit(UnitKind.COMMUNITY, street, name="东街社区党总支")
    g3 = unit(UnitKind.GRID, dongjie)
    grid1, grid2, grid3 = grid_for(g1), grid_for(g2), grid_for(g3)
    estates = {
        "新村": _estate(grid1, "京口路新村", 15),
        "花园": _estate(grid2, "京口路花园", 12),
        # Before 京口路新村 in text order: "京口路5号楼" must still mean 京口路新村5号楼.
        "公寓": _estate(grid2, "京口路公寓", 8),
        "谏电": _estate(grid3, "东街社区谏电二邨", 6),
        "梦溪": _estate(grid3, "东街社区梦溪新村", 16),
    }
    services.building_create(
        grid=grid3, name="东街3组2号", address="东街社区东街3组2号", lat=32.16, lng=119.57
    )
    return estates


def square(lat, lng, half=0.002):
    """A GeoJSON square around a point ([lng, lat] positions): a grid's boundary."""
    ring = [
        [lng - half, lat - half],
        [lng + half, lat - half],
        [lng + half, lat + half],
        [lng - half, lat + half],
        [lng - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}
