"""Demo grids and buildings at plausible points inside Jingkou (centre about 32.20 N, 119.45 E)."""

import math

from organization.models import OrgUnit, Position, Role, UnitKind

from .models import Building, Grid

# Rough centres of the six streets, by street code.
STREET_CENTRES = {
    "S1": (32.2070, 119.4470),  # 正东路
    "S2": (32.2010, 119.4330),  # 健康路
    "S3": (32.1960, 119.4420),  # 大市口
    "S4": (32.1930, 119.4560),  # 四牌楼
    "S5": (32.2130, 119.4900),  # 象山
    "S6": (32.1620, 119.5750),  # 谏壁
}
METRES_PER_DEG_LAT = 111_320.0


def offset(lat: float, lng: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point north_m metres north and east_m metres east of (lat, lng)."""
    d_lat = north_m / METRES_PER_DEG_LAT
    d_lng = east_m / (METRES_PER_DEG_LAT * math.cos(math.radians(lat)))
    return round(lat + d_lat, 6), round(lng + d_lng, 6)


def load(ctx):
    if Grid.objects.exists():
        ctx.progress("grids already present: nothing changed")
        return
    rng = ctx.rng("grids")
    units = list(
        OrgUnit.objects.filter(kind__in=[UnitKind.COMMUNITY, UnitKind.GRID, UnitKind.BUILDING])
        .select_related("parent")
        .order_by("tree_id", "lft")
    )
    leaders = dict(
        Position.objects.filter(role=Role.GRID_LEADER, end_date__isnull=True).values_list(
            "unit_id", "person_id"
        )
    )
    community_centres: dict[int, tuple[float, float]] = {}
    grids: dict[int, Grid] = {}
    grid_points: dict[int, tuple[float, float]] = {}
    building_units: dict[int, list[OrgUnit]] = {}
    for unit in units:
        if unit.kind == UnitKind.COMMUNITY:
            street_code = unit.code.split("-")[1]
            lat, lng = STREET_CENTRES[street_code]
            community_centres[unit.pk] = offset(
                lat, lng, rng.uniform(-1400, 1400), rng.uniform(-1400, 1400)
            )
        elif unit.kind == UnitKind.GRID:
            c_lat, c_lng = community_centres[unit.parent_id]
            point = offset(c_lat, c_lng, rng.uniform(-450, 450), rng.uniform(-450, 450))
            grid_points[unit.pk] = point
            households = rng.randint(180, 420)
            grids[unit.pk] = Grid(
                code=unit.code,
                name=unit.name.replace("党支部", "").replace("党小组", ""),
                community_id=unit.parent_id,
                unit=unit,
                leader_id=leaders.get(unit.pk),
                households=households,
                population=int(households * rng.uniform(2.3, 2.8)),
                center_lat=point[0],
                center_lng=point[1],
            )
        else:
            building_units.setdefault(unit.parent_id, []).append(unit)
    Grid.objects.bulk_create(grids.values(), batch_size=500)

    buildings: list[Building] = []
    for unit_pk, grid in grids.items():
        lat, lng = grid_points[unit_pk]
        street = grid.name.split("第")[0]
        groups = building_units.get(unit_pk, [])
        count = rng.randint(10, 16)
        per_building = max(1, grid.households // count)
        for b in range(1, count + 1):
            b_lat, b_lng = offset(lat, lng, rng.uniform(-300, 300), rng.uniform(-300, 300))
            buildings.append(
                Building(
                    name=f"{b}号楼",
                    address=f"{street}社区{grid.code[-3:]}网格{b}号楼",
                    grid=grid,
                    unit=groups[b - 1] if b <= len(groups) else None,
                    lat=b_lat,
                    lng=b_lng,
                    households=per_building,
                )
            )
    Building.objects.bulk_create(buildings, batch_size=1000)
    ctx.progress(f"{len(grids)} grids, {len(buildings)} buildings")
