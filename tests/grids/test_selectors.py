import datetime
from zoneinfo import ZoneInfo

import pytest

from grids import selectors
from grids.models import ServiceStation
from organization.models import UnitKind
from tests.organization.factories import chain

from .factories import BASE_LAT, BASE_LNG, building, grid_for, service, station

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def test_nearest_stations_in_order_with_hand_computed_distances():
    _, street, [community], [g1] = chain()
    # Along the meridian: 0.001° of latitude = 111.195 m (R = 6,371,008.8 m).
    a = station(community, north=0.0, name="甲站")
    b = station(g1, north=5.0, name="乙站")
    c = station(street, north=-10.0, name="丙站")
    station(g1, north=1.5, name="关闭的站", active=False)
    # The resident stands 0.001° north of the base point.
    found = selectors.nearest_stations(lat=BASE_LAT + 0.001, lng=BASE_LNG, limit=5)
    assert [n.station for n in found] == [a, b, c]
    assert [round(n.straight_m, 1) for n in found] == [111.2, 444.8, 1223.1]
    # × 1.3 detour at 80 m a minute: 1.81, 7.23 and 19.88 minutes.
    assert [round(n.walking_minutes, 2) for n in found] == [1.81, 7.23, 19.88]
    assert [n.minutes_shown for n in found] == [2, 8, 20]
    assert [n.metres_shown for n in found] == [140, 580, 1590]
    assert [n.within_circle for n in found] == [True, True, False]
    assert len(selectors.nearest_stations(lat=BASE_LAT, lng=BASE_LNG, limit=2)) == 2


def test_nearest_stations_with_none_open_is_empty():
    assert selectors.nearest_stations(lat=BASE_LAT, lng=BASE_LNG) == []


@pytest.fixture
def small_district():
    """One street, two communities. Walks from the one open station at the base point:
    b1 0.005° north = 556 m → 9.0 min; b2 0.008° → 890 m → 14.5 min (covered);
    b3 0.009° → 1,001 m → 16.3 min; b4 0.020° → 2,224 m → 36.1 min (beyond 15 minutes).
    A closed station right beside b4 must not count."""
    district, street, [c1, c2], [g1, g2] = chain(communities=2)
    grid1, grid2 = grid_for(g1), grid_for(g2)
    b1 = building(grid1, north=5, households=10)
    b2 = building(grid1, north=8, households=20)
    b3 = building(grid1, north=9, households=30)
    b4 = building(grid2, north=20, households=40)
    open_station = station(c1, north=0, name="开放的站")
    station(c2, north=20, name="关闭的站", active=False)
    return {
        "district": district, "street": street, "c1": c1, "c2": c2, "g1": g1,
        "buildings": [b1, b2, b3, b4], "station": open_station,
    }  # fmt: skip


def test_coverage_on_a_small_fixture(small_district):
    d = small_district
    summary = selectors.coverage_summary(d["district"])
    assert (summary.buildings, summary.covered_buildings) == (4, 2)
    assert (summary.households, summary.covered_households) == (100, 30)
    assert summary.building_share == 0.5
    assert summary.household_share == 0.3

    streets = selectors.coverage_by(d["district"], kind=UnitKind.STREET)
    assert [(r.unit_id, r.buildings, r.covered_buildings) for r in streets] == [
        (d["street"].pk, 4, 2)
    ]
    communities = selectors.coverage_by(d["district"], kind=UnitKind.COMMUNITY)
    assert [
        (r.unit_id, r.covered_buildings, r.buildings, r.covered_households, r.households)
        for r in communities
    ] == [(d["c1"].pk, 2, 3, 30, 60), (d["c2"].pk, 0, 1, 0, 40)]

    uncovered = selectors.uncovered_buildings(d["district"])
    b1, b2, b3, b4 = d["buildings"]
    assert [u.building_id for u in uncovered] == [b4.pk, b3.pk]
    assert [round(u.walking_minutes, 1) for u in uncovered] == [36.1, 16.3]
    assert {u.nearest_station_id for u in uncovered} == {d["station"].pk}


def test_coverage_of_a_community_counts_only_its_buildings(small_district):
    d = small_district
    summary = selectors.coverage_summary(d["c1"])
    assert (summary.buildings, summary.covered_buildings, summary.households) == (3, 2, 60)
    report = selectors.coverage_report(d["g1"])
    assert report.summary.buildings == 3
    assert [u.building_id for u in report.uncovered] == [d["buildings"][2].pk]


def test_opening_a_station_closes_the_gap(small_district):
    d = small_district
    ServiceStation.objects.filter(name="关闭的站").update(active=True)
    summary = selectors.coverage_summary(d["district"])
    assert (summary.covered_buildings, summary.covered_households) == (3, 70)


def test_coverage_takes_the_same_few_queries_however_many_buildings(
    small_district, django_assert_max_num_queries
):
    d = small_district
    grid = d["buildings"][0].grid
    for i in range(30):
        building(grid, north=i / 10)
    with django_assert_max_num_queries(8):
        selectors.coverage_report(d["district"])


def test_coverage_without_buildings_is_zero_not_an_error():
    district, _, _, _ = chain(grids=0)
    summary = selectors.coverage_summary(district)
    assert (summary.buildings, summary.building_share) == (0, 0.0)


def test_station_search_by_words_place_service_and_open_now():
    _, s1, [c1], [g1] = chain()
    _, s2, [c2], _ = chain(street=None, grids=0)
    legal = service("legal", "法律援助", "Legal aid")
    night = [(4, datetime.time(20), datetime.time(0, 30))]
    a = station(c1, name="梦溪社区党群服务中心", services_offered=[legal])
    b = station(g1, name="梦溪第1网格党群服务站", address="京口区梦溪路3号", hours=night)
    c = station(c2, name="东街社区党群服务中心", services_offered=[legal])
    station(c2, name="梦溪已关闭站", active=False)

    def names(**kwargs):
        return {s.name for s in selectors.station_search(**kwargs)}

    assert names(text="梦溪") == {a.name, b.name}
    assert names(text="梦溪路 3号") == {b.name}
    assert names(text="legal") == {a.name, c.name}
    assert names(street=s1) == {a.name, b.name}
    assert names(community=c2) == {c.name}
    assert names(service=legal) == {a.name, c.name}
    friday_night = datetime.datetime(2026, 11, 27, 23, tzinfo=SH)
    assert names(open_now=True, when=friday_night) == {b.name}
    monday_morning = datetime.datetime(2026, 11, 23, 9, tzinfo=SH)
    assert names(open_now=True, when=monday_morning) == {a.name, c.name}


def test_building_search_needs_every_word():
    _, _, _, [g1] = chain()
    grid = grid_for(g1)
    building(grid, address="东街社区谏电二邨3号楼")
    building(grid, address="东街社区月湖花园3号楼")
    assert [b.address for b in selectors.building_search("谏电 3号楼")] == ["东街社区谏电二邨3号楼"]
    assert selectors.building_search("   ").count() == 0


def test_the_report_of_a_community_breaks_down_by_grid(small_district):
    d = small_district
    report = selectors.coverage_report(d["c1"])
    assert [(r.unit_id, r.buildings, r.covered_buildings) for r in report.grids] == [
        (d["buildings"][0].grid_id, 3, 2)
    ]
    assert selectors.coverage_report(d["district"]).grids == []


def test_building_search_lists_numbers_in_order():
    _, _, _, [g1] = chain()
    grid = grid_for(g1)
    for n in (10, 2, 1):
        building(grid, address=f"梦溪新村{n}号楼")
    assert [b.address for b in selectors.building_search("梦溪新村")] == [
        "梦溪新村1号楼", "梦溪新村2号楼", "梦溪新村10号楼",
    ]  # fmt: skip
