"""The residents' building search: however a building is spelt, it is found.

Vendor-neutral tests run on SQLite and, with DATABASE_URL set, on PostgreSQL (pg_trgm); the
`postgres`-marked ones cover what only PostgreSQL does (near misses, the trigram index)."""

import pytest
from django.db import connection

from grids import search, selectors, services
from grids.models import Building

from .factories import estates_district

pytestmark = pytest.mark.django_db

TARGET = "京口路新村5号楼"


@pytest.fixture
def district():
    return estates_district()


def addresses(text: str, limit: int = 10) -> list[str]:
    return [b.address for b in selectors.buildings_search(text, limit=limit)]


@pytest.mark.parametrize(
    "typed",
    ["京口路新村5号楼", "京口路新村5栋", "京口路新村五号楼", "京口路5号楼", "京口路新村 5号楼"],
)
def test_every_spelling_finds_the_building_first(district, typed):
    assert addresses(typed)[0] == TARGET


@pytest.mark.parametrize(
    "typed",
    ["京口路新村5幢", "京口路新村5座", "京口路新村5#", "京口路新村５号楼", "京口路新村5号",
     "京口路 新村 五 号楼", "京口路新村，5号楼。", "京口路新村05号楼", "京口路新村5楼"],
)  # fmt: skip
def test_building_words_full_width_spaces_and_punctuation_count_as_one(district, typed):
    assert addresses(typed)[0] == TARGET


def test_the_estate_lists_its_buildings_in_numeric_order(district):
    found = addresses("京口路新村", limit=20)
    assert found == [f"京口路新村{n}号楼" for n in range(1, 16)]
    # The autocomplete shows ten: 5号楼 is among them, not pushed out by 10–15号楼.
    assert TARGET in addresses("京口路新村")[:10]


def test_numbers_never_match_inside_other_numbers(district):
    # "5号楼" is not "15号楼"; the 15号楼 of the estate does not come with it.
    assert addresses("京口路新村5号楼", limit=30).count("京口路新村15号楼") == 0
    assert addresses("京口路新村十五号楼")[0] == "京口路新村15号楼"
    assert addresses("京口路新村一号楼")[0] == "京口路新村1号楼"
    assert "京口路新村10号楼" not in addresses("京口路新村一号楼", limit=30)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("京口路新村十二号楼", "京口路新村12号楼"),
        ("京口路新村十号楼", "京口路新村10号楼"),
        ("东街社区梦溪新村十六栋", "东街社区梦溪新村16号楼"),
        ("京口路花园两号楼", "京口路花园2号楼"),
        ("谏电二邨3号楼", "东街社区谏电二邨3号楼"),
        ("谏电2邨三栋", "东街社区谏电二邨3号楼"),
        ("东街三组二号", "东街社区东街3组2号"),
    ],
)
def test_chinese_numerals(district, typed, expected):
    assert addresses(typed)[0] == expected


def test_a_community_name_alone_finds_its_buildings(district):
    found = addresses("京口路社区", limit=100)
    assert len(found) == 15 + 12 + 8
    # Estates in text order (公寓 before 新村), each by number.
    assert found[:3] == ["京口路公寓1号楼", "京口路公寓2号楼", "京口路公寓3号楼"]
    assert set(addresses("东街", limit=100)) == {
        b.address for b in Building.objects.filter(address__startswith="东街社区")
    }


def test_exact_matches_come_before_longer_ones(district):
    # 京口路新村1号楼 is exact; 10–15号楼 only start the same way.
    found = addresses("京口路新村1")
    assert found[:7] == ["京口路新村1号楼"] + [f"京口路新村{n}号楼" for n in range(10, 16)]
    assert addresses("京口路新村1号楼") == ["京口路新村1号楼"]


@pytest.mark.parametrize("typed", ["火星基地99号楼", "asdfghjkl", "银河小区", "京口路新村99号楼"])
def test_junk_finds_nothing(district, typed):
    assert addresses(typed) == []


@pytest.mark.parametrize("typed", ["", "   ", "京", "5", "五", "。，！", "\x00", "\x00" * 50])
def test_too_little_to_search_on_finds_nothing(district, typed):
    assert addresses(typed) == []


def test_a_nul_is_dropped_like_punctuation(district):
    assert addresses("京口路\x00新村5号楼")[0] == TARGET


@pytest.mark.parametrize("typed", ["京" * 500, "5" * 500, "五十" * 250, TARGET * 60, "号楼" * 250])
def test_a_500_character_input_is_harmless(district, typed):
    assert len(addresses(typed)) <= 10


def test_one_query_with_the_grids(district, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = list(selectors.buildings_search("京口路5号楼"))
        assert [b.grid.name for b in found]


def test_a_changed_address_is_found_by_its_new_spelling(district):
    building = Building.objects.get(address=TARGET)
    services.building_update(building=building, address="京口路新村5号楼东")
    services.building_update(building=building, address="京口路新村28号楼")
    assert addresses("京口路新村二十八栋") == ["京口路新村28号楼"]
    assert TARGET not in addresses("京口路新村5号楼")


def test_a_renamed_community_is_found_by_its_new_name_after_a_refresh(district):
    community = Building.objects.get(address=TARGET).grid.community
    community.name = "京江社区党委"
    community.save()
    assert addresses("京江社区") == []
    assert services.buildings_refresh_search_keys(community=community) == 15 + 12 + 8
    assert len(addresses("京江社区", limit=100)) == 15 + 12 + 8
    assert services.buildings_refresh_search_keys() == 0


def test_building_search_of_the_station_finder_uses_the_same_search(district):
    assert [b.address for b in selectors.building_search("京口路新村五号楼")][0] == TARGET


# --- Normalization ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [("五", 5), ("十", 10), ("十二", 12), ("二十", 20), ("二十三", 23), ("一百零五", 105),
     ("两", 2), ("〇", 0), ("零", 0), ("二〇二二", 2022)],
)  # fmt: skip
def test_chinese_number(text, number):
    assert search.chinese_number(text) == number


def test_normalize_makes_one_key_of_the_spellings():
    keys = {
        search.normalize(t)
        for t in ["京口路新村5号楼", "京口路新村5栋", "京口路新村五幢", "京口路新村 5 号楼",
                  "京口路新村５座", "京口路新村5#"]
    }  # fmt: skip
    assert len(keys) == 1
    assert search.normalize("5号楼2单元") != search.normalize("5号楼")
    assert search.normalize("5号楼2单元").endswith("单元")
    assert search.normalize("ABC小区") == search.normalize("abc小区")


# --- PostgreSQL only ----------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_near_miss_is_found_on_postgresql(district):
    # A character missing ("京口新村") is no word of the address; trigram similarity finds it.
    assert addresses("京口新村5号楼")[0] == TARGET


@pytest.mark.postgres
def test_the_search_key_has_a_trigram_index_on_postgresql(district):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'grids_building' "
            "AND indexname = 'building_search_key_trgm'"
        )
        (definition,) = cursor.fetchone()
    assert "gin_trgm_ops" in definition
    # No pending list for a search to scan: written at once (buildings are seldom written).
    assert "fastupdate=off" in definition


def test_the_province_city_and_district_typed_first_change_nothing(district):
    assert addresses("江苏省镇江市京口区京口路新村五号楼")[0] == TARGET
    assert addresses("镇江 京口区 京口路5号楼")[0] == TARGET


def test_a_unit_typed_after_the_building_still_finds_it(district):
    assert addresses("京口路新村5号楼2单元")[0] == TARGET
    assert addresses("谏电二邨三号楼一单元301室") == ["东街社区谏电二邨3号楼"]
    # A unit alone is still searched for, and is no building.
    assert addresses("2单元") == []
