"""Demo grids, buildings and party-mass service stations at plausible points inside Jingkou
(centre about 32.20 N, 119.45 E).

Stations: the district centre, 6 street centres, a centre in each of the 46 communities and 115
grid stations (168 in all, two of them closed for renovation: "160+"); 20 community centres are
demonstration centres (10 a year), 100+ grid stations were micro-renovated. A few grids on the
edge of 象山 and 谏壁 have outlying village buildings beyond a 15-minute walk, so the service
circle's coverage is honestly below 100%.
"""

import datetime
import math
from collections import Counter

from organization.models import OrgUnit, Position, Role, UnitKind

from . import selectors
from .models import (
    Building,
    Grid,
    OpeningHours,
    ServiceStation,
    StationLevel,
    StationService,
)

# Rough centres of the six streets, by street code.
STREET_CENTRES = {
    "S1": (32.2070, 119.4470),  # 正东路
    "S2": (32.2010, 119.4330),  # 健康路
    "S3": (32.1960, 119.4420),  # 大市口
    "S4": (32.1930, 119.4560),  # 四牌楼
    "S5": (32.2130, 119.4900),  # 象山
    "S6": (32.1620, 119.5750),  # 谏壁
}
DISTRICT_CENTRE = (32.2000, 119.4550)
METRES_PER_DEG_LAT = 111_320.0
OUTLYING_STREETS = ("S5", "S6")
OUTLYING_GRIDS = 14
GRID_STATIONS = 115

ESTATE_SUFFIXES = ["新村", "花园", "小区", "家园", "苑", "公寓", "雅居", "名城", "东村", "西村"]
CN_NUMBERS = "一二三四五六七八九十"
ROADS = [
    "中山东路", "正东路", "京口路", "解放路", "东吴路", "学府路", "象山路", "谏壁路",
    "长江路", "梦溪路", "花山湾路", "焦山路", "丁卯桥路", "桃花坞路", "电力路", "禹山路",
]  # fmt: skip

# (code, 中文, English)
SERVICES = [
    ("consult", "政策咨询", "Policy advice"),
    ("agency", "代办服务", "Paperwork done for you"),
    ("elderly", "助老服务", "Help for older residents"),
    ("health", "健康检测", "Health checks"),
    ("legal", "法律援助", "Legal aid"),
    ("mediation", "矛盾调解", "Dispute mediation"),
    ("volunteer", "志愿服务", "Volunteer services"),
    ("repair", "便民维修", "Small repairs"),
    ("jobs", "就业服务", "Job services"),
    ("reading", "阅览学习", "Reading room"),
    ("children", "四点半课堂", "After-school class"),
    ("deputies", "代表委员接待", "Meet your deputies"),
    ("rest", "歇脚驿站", "Rest stop: water and seats"),
]


def offset(lat: float, lng: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point north_m metres north and east_m metres east of (lat, lng)."""
    d_lat = north_m / METRES_PER_DEG_LAT
    d_lng = east_m / (METRES_PER_DEG_LAT * math.cos(math.radians(lat)))
    return round(lat + d_lat, 6), round(lng + d_lng, 6)


# The layout: communities on a hexagonal lattice shared out among the streets, grids on a finer
# lattice inside their community, buildings close around their grid's centre. Streets and
# communities are then contiguous and apart, so the map drawn from the buildings (grids/basemap.py)
# shows recognisable areas rather than interleaved estates.
COMMUNITY_SPACING_M = 1300.0
GRID_SPACING_M = 320.0
BUILDING_SPREAD_M = 130.0


def hex_offsets(spacing: float, count: int) -> list[tuple[float, float]]:
    """The `count` points of a hexagonal lattice nearest its origin, as (north, east) metres."""
    k = int(math.sqrt(count)) + 2
    points = []
    for i in range(-k, k + 1):
        for j in range(-k, k + 1):
            east, north = spacing * (i + j / 2), spacing * j * math.sqrt(3) / 2
            points.append((round(math.hypot(north, east), 3), north, east))
    points.sort()
    return [(north, east) for _, north, east in points[:count]]


def community_layout(counts: dict[str, int]) -> dict[str, list[tuple[float, float]]]:
    """Centres for each street's communities (by street code, nearest the street's centre
    first): the lattice is shared out by growing every street from its centre in turn, taking
    the free neighbouring point nearest that centre, so each street is one piece."""
    lat0, lng0 = DISTRICT_CENTRE
    east_m = METRES_PER_DEG_LAT * math.cos(math.radians(lat0))

    def place(i: int, j: int) -> tuple[float, float]:
        return offset(
            lat0,
            lng0,
            COMMUNITY_SPACING_M * j * math.sqrt(3) / 2,
            COMMUNITY_SPACING_M * (i + j / 2),
        )

    def metres(point, centre) -> float:
        return math.hypot(
            (point[0] - centre[0]) * METRES_PER_DEG_LAT, (point[1] - centre[1]) * east_m
        )

    reach = 16
    free = {(i, j) for i in range(-reach, reach + 1) for j in range(-reach, reach + 1)}
    taken: dict[str, list[tuple[int, int]]] = {code: [] for code in counts}
    while any(len(taken[code]) < counts[code] for code in counts):
        for code in sorted(counts):
            if len(taken[code]) >= counts[code]:
                continue
            centre = STREET_CENTRES[code]
            border = {
                (i + di, j + dj)
                for i, j in taken[code]
                for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, -1), (-1, 1))
            } & free
            best = min(border or free, key=lambda ij: (metres(place(*ij), centre), ij))
            free.discard(best)
            taken[code].append(best)
    return {
        code: sorted(
            (place(*ij) for ij in cells), key=lambda p, c=STREET_CENTRES[code]: metres(p, c)
        )
        for code, cells in taken.items()
    }


def outlying_grid_codes(ctx, grid_codes: list[str]) -> set[str]:
    """The grids on the district's edge with outlying village buildings (never a G01 grid,
    which always has a station). The same for the buildings and the stations part."""
    candidates = sorted(
        code
        for code in grid_codes
        if code.split("-")[1] in OUTLYING_STREETS and not code.endswith("G01")
    )
    return set(ctx.rng("grids:outlying").sample(candidates, OUTLYING_GRIDS))


def _short(community_name: str) -> str:
    return community_name.replace("社区党委", "").replace("社区党总支", "")


def _estate(short: str, grid_number: int) -> str:
    if short == "东街" and grid_number == 1:
        return "谏电二邨"  # the estate named in the report
    if short.endswith(("园", "村")):
        return f"{short}{CN_NUMBERS[(grid_number - 1) % 10]}区"
    return f"{short}{ESTATE_SUFFIXES[(grid_number - 1) % len(ESTATE_SUFFIXES)]}"


def load(ctx):
    if Grid.objects.exists():
        ctx.progress("grids already present: nothing changed")
    else:
        _load_grids(ctx)
    if ServiceStation.objects.exists():
        ctx.progress("stations already present: nothing changed")
    else:
        _load_stations(ctx)
    # bulk_create sends no signals: the map drawn from the data must not keep an empty district.
    selectors.basemap_forget()


def _load_grids(ctx):
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
    outlying = outlying_grid_codes(ctx, [u.code for u in units if u.kind == UnitKind.GRID])
    community_centres: dict[int, tuple[float, float]] = {}
    community_names = {u.pk: u.name for u in units if u.kind == UnitKind.COMMUNITY}
    grids: dict[int, Grid] = {}
    grid_points: dict[int, tuple[float, float]] = {}
    building_units: dict[int, list[OrgUnit]] = {}
    communities = [u for u in units if u.kind == UnitKind.COMMUNITY]
    layout = community_layout(
        {
            code: sum(1 for u in communities if u.code.split("-")[1] == code)
            for code in STREET_CENTRES
        }
    )
    grid_counts = Counter(u.parent_id for u in units if u.kind == UnitKind.GRID)
    grid_slots = {pk: iter(hex_offsets(GRID_SPACING_M, n)) for pk, n in grid_counts.items()}
    street_slots = {code: iter(points) for code, points in layout.items()}
    for unit in units:
        if unit.kind == UnitKind.COMMUNITY:
            lat, lng = next(street_slots[unit.code.split("-")[1]])
            community_centres[unit.pk] = offset(
                lat, lng, rng.uniform(-100, 100), rng.uniform(-100, 100)
            )
        elif unit.kind == UnitKind.GRID:
            c_lat, c_lng = community_centres[unit.parent_id]
            north, east = next(grid_slots[unit.parent_id])
            point = offset(c_lat, c_lng, north + rng.uniform(-40, 40), east + rng.uniform(-40, 40))
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
        short = grid.name.split("第")[0]
        grid_number = int(grid.code.rsplit("G", 1)[1])
        estate = _estate(short, grid_number)
        prefix = estate if estate.startswith(short) else f"{short}社区{estate}"
        groups = building_units.get(unit_pk, [])
        spread = BUILDING_SPREAD_M
        points = [
            offset(lat, lng, rng.uniform(-spread, spread), rng.uniform(-spread, spread))
            for _ in range(rng.randint(10, 16))
        ]
        names = [(f"{b}号楼", f"{prefix}{b}号楼") for b in range(1, len(points) + 1)]
        if grid.code in outlying:
            # A village group out on the edge, 1.6–2.4 km further from the town centre.
            d_north = (lat - DISTRICT_CENTRE[0]) * METRES_PER_DEG_LAT
            d_east = (lng - DISTRICT_CENTRE[1]) * METRES_PER_DEG_LAT * math.cos(math.radians(lat))
            norm = math.hypot(d_north, d_east) or 1.0
            reach = rng.uniform(1600, 2400)
            v_lat, v_lng = offset(lat, lng, d_north / norm * reach, d_east / norm * reach)
            village = f"{short}{grid_number}组"
            for b in range(1, rng.randint(3, 5) + 1):
                points.append(offset(v_lat, v_lng, rng.uniform(-120, 120), rng.uniform(-120, 120)))
                names.append((f"{village}{b}号", f"{short}社区{village}{b}号"))
        per_building = max(1, grid.households // len(points))
        for i, ((b_lat, b_lng), (name, address)) in enumerate(zip(points, names, strict=True)):
            building = Building(
                name=name,
                address=address,
                grid=grid,
                unit=groups[i] if i < len(groups) else None,
                lat=b_lat,
                lng=b_lng,
                households=per_building,
            )
            # bulk_create skips save(): the keys the residents' search reads are set here.
            building.refresh_search_keys(community_names[grid.community_id])
            buildings.append(building)
    Building.objects.bulk_create(buildings, batch_size=1000)
    ctx.progress(f"{len(grids)} grids, {len(buildings)} buildings")


def _phone(rng) -> str:
    return f"0511-{rng.choice(['84', '85', '88'])}{rng.randrange(10**6):06d}"


def _address(rng) -> str:
    return f"京口区{rng.choice(ROADS)}{rng.randint(1, 300)}号"


T = datetime.time
WEEKDAYS = range(0, 5)


def _office_hours(rng, *, saturday: float, sunday: float, evening: float, night: bool = False):
    """Weekday office hours, and by chance Saturday/Sunday mornings and evening sessions."""
    periods = []
    for day in WEEKDAYS:
        periods += [(day, T(8, 30), T(12, 0)), (day, T(14, 0), T(17, 30))]
    if rng.random() < saturday:
        periods.append((5, T(9, 0), T(12, 0)))
    if rng.random() < sunday:
        periods.append((6, T(9, 0), T(11, 30)))
    if rng.random() < evening:
        periods += [(day, T(18, 30), T(20, 30)) for day in (0, 2, 4)]
    if night:
        # A Friday and Saturday night desk that runs past midnight (夜间便民服务).
        periods += [(4, T(20, 0), T(0, 30)), (5, T(20, 0), T(0, 30))]
    return periods


def _grid_station_hours(rng):
    pattern = rng.randrange(4)
    days = range(0, 6) if pattern in (1, 3) else WEEKDAYS
    periods = []
    for day in days:
        periods += [(day, T(9, 0), T(11, 30)), (day, T(15, 0), T(17, 0))]
    if pattern == 2:
        periods += [(day, T(19, 0), T(21, 0)) for day in range(0, 7)]
    if pattern == 3:
        periods.append((6, T(9, 0), T(11, 0)))
    return periods


def _load_stations(ctx):
    rng = ctx.rng("stations")
    services = {}
    for code, name, name_en in SERVICES:
        services[code], _ = StationService.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en}
        )
    core = ["consult", "elderly", "volunteer"]
    optional = [code for code, _, _ in SERVICES if code not in core]

    district = OrgUnit.objects.get(kind=UnitKind.DISTRICT, code="JK")
    streets = list(OrgUnit.objects.filter(kind=UnitKind.STREET).order_by("code"))
    communities = list(OrgUnit.objects.filter(kind=UnitKind.COMMUNITY).order_by("code"))
    grids = list(Grid.objects.select_related("unit").order_by("code"))
    grids_by_community: dict[int, list[Grid]] = {}
    for grid in grids:
        grids_by_community.setdefault(grid.community_id, []).append(grid)
    community_points = {}
    for community_pk, members in grids_by_community.items():
        community_points[community_pk] = (
            round(sum(g.center_lat for g in members) / len(members), 6),
            round(sum(g.center_lng for g in members) / len(members), 6),
        )

    stations: list[ServiceStation] = []
    hours: dict[int, list] = {}
    tags: dict[int, list[str]] = {}
    served: dict[int, list[Grid]] = {}

    def add(station, periods, codes, grids_served=()):
        stations.append(station)
        i = len(stations) - 1
        hours[i], tags[i], served[i] = periods, codes, list(grids_served)

    add(
        ServiceStation(
            name="京口区党群服务中心",
            level=StationLevel.DISTRICT,
            owner_unit=district,
            address="京口区学府路88号",
            lat=DISTRICT_CENTRE[0],
            lng=DISTRICT_CENTRE[1],
            phone=_phone(rng),
            is_demonstration=True,
            upgraded_year=2021,
            description="区级党群服务中心：党员教育、志愿服务调度、代表委员接待和各类便民服务，一站式办理。",
        ),
        [(day, T(8, 30), T(17, 30)) for day in range(0, 7)],
        [code for code, _, _ in SERVICES],
    )
    for street in streets:
        lat, lng = STREET_CENTRES[street.code.split("-")[1]]
        add(
            ServiceStation(
                name=street.name.replace("党工委", "党群服务中心"),
                level=StationLevel.STREET,
                owner_unit=street,
                address=_address(rng),
                lat=lat,
                lng=lng,
                phone=_phone(rng),
                upgraded_year=rng.choice([2019, 2020, 2021]),
                description="街道党群服务中心：政策咨询、社保就业、法律援助，受理群众诉求，协调部门报到。",
            ),
            _office_hours(rng, saturday=1.0, sunday=0.0, evening=0.0, night=street.code == "JK-S3"),
            core + ["agency", "legal", "jobs", "mediation", "deputies"],
        )
    demonstration = rng.sample(range(len(communities)), 20)
    for index, community in enumerate(communities):
        short = _short(community.name)
        lat, lng = community_points[community.pk]
        year = None
        if index in demonstration:
            year = 2020 if demonstration.index(index) < 10 else 2021
        elif rng.random() < 0.6:
            year = rng.randint(2015, 2019)
        add(
            ServiceStation(
                name=f"{short}社区党群服务中心",
                level=StationLevel.COMMUNITY,
                owner_unit=community,
                address=_address(rng),
                lat=lat,
                lng=lng,
                phone=_phone(rng),
                is_demonstration=index in demonstration,
                upgraded_year=year,
                description="一站式接待、全能型服务：政策咨询、代办服务、助老助残、志愿服务，"
                "网格长和党员志愿者每天值守。",
            ),
            _office_hours(rng, saturday=0.5, sunday=0.2, evening=0.3),
            core + rng.sample(optional, rng.randint(3, 6)),
            grids_by_community[community.pk],
        )

    outlying = outlying_grid_codes(ctx, [g.code for g in grids])
    firsts = [g for g in grids if g.code.endswith("G01")]
    others = [g for g in grids if not g.code.endswith("G01") and g.code not in outlying]
    with_station = firsts + rng.sample(others, GRID_STATIONS - len(firsts))
    with_station.sort(key=lambda g: g.code)
    renovated = set(rng.sample(range(len(with_station)), 104))
    closed = set(rng.sample(range(len(firsts), len(with_station)), 2))
    for index, grid in enumerate(with_station):
        lat, lng = offset(
            grid.center_lat, grid.center_lng, rng.uniform(-80, 80), rng.uniform(-80, 80)
        )
        neighbours = [g for g in grids_by_community[grid.community_id] if g.pk != grid.pk]
        grids_served = [grid] + (
            rng.sample(neighbours, 1) if neighbours and rng.random() < 0.2 else []
        )
        add(
            ServiceStation(
                name=f"{grid.name}党群服务站",
                level=StationLevel.GRID,
                owner_unit=grid.unit,
                address=_address(rng),
                lat=lat,
                lng=lng,
                phone=_phone(rng),
                upgraded_year=rng.choice([2021, 2022]) if index in renovated else None,
                active=index not in closed,
                description="家门口的党群服务站：网格长和党员志愿者轮流值守，帮办代办、收集诉求。",
            ),
            _grid_station_hours(rng),
            ["volunteer"] + rng.sample(["consult", "elderly", "repair", "rest", "health"], 3),
            grids_served,
        )

    ServiceStation.objects.bulk_create(stations, batch_size=500)
    OpeningHours.objects.bulk_create(
        [
            OpeningHours(station=station, weekday=d, opens=o, closes=c)
            for i, station in enumerate(stations)
            for d, o, c in hours[i]
        ],
        batch_size=1000,
    )
    Services = ServiceStation.services.through
    Services.objects.bulk_create(
        [
            Services(servicestation_id=station.pk, stationservice_id=services[code].pk)
            for i, station in enumerate(stations)
            for code in dict.fromkeys(tags[i])
        ],
        batch_size=1000,
    )
    Served = ServiceStation.grids_served.through
    Served.objects.bulk_create(
        [
            Served(servicestation_id=station.pk, grid_id=grid.pk)
            for i, station in enumerate(stations)
            for grid in served[i]
        ],
        batch_size=1000,
    )
    ctx.progress(
        f"{len(stations)} party-mass service stations "
        f"({sum(1 for s in stations if s.active)} open, "
        f"{sum(1 for s in stations if s.is_demonstration)} demonstration centres)"
    )
