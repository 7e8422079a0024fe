"""The form's building autocomplete (/requests/new/buildings/?q=): however a resident spells
their building, it is offered first; one query whatever is typed."""

import pytest
from django.urls import reverse

from tests.grids.factories import estates_district

pytestmark = pytest.mark.django_db
LOOKUP = reverse("resident_requests:buildings_lookup")
TARGET = "京口路新村5号楼"


@pytest.fixture
def district():
    return estates_district()


def labels(client, q: str) -> list[str]:
    response = client.get(LOOKUP, {"q": q})
    assert response.status_code == 200
    return [row["label"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    "typed",
    ["京口路新村5栋", "京口路新村五号楼", "京口路5号楼", "京口路新村 5号楼", "京口路新村5号楼"],
)
def test_every_spelling_offers_the_building_first(client, district, typed):
    assert labels(client, typed)[0] == TARGET


def test_an_estate_offers_its_first_ten_buildings_in_numeric_order(client, district):
    assert labels(client, "京口路新村") == [f"京口路新村{n}号楼" for n in range(1, 11)]


def test_the_ids_are_the_buildings(client, district):
    rows = client.get(LOOKUP, {"q": "京口路新村五号楼"}).json()["results"]
    building = district["新村"][[b.address for b in district["新村"]].index(TARGET)]
    assert rows[0] == {"id": building.pk, "label": TARGET}


@pytest.mark.parametrize("typed", ["火星基地99号楼", "qwertyuiop", "京", "", "\x00", "。。。"])
def test_junk_offers_nothing(client, district, typed):
    assert labels(client, typed) == []


@pytest.mark.parametrize("typed", ["京口路\x00新村5号楼", "京" * 500, TARGET * 50, "%_\\" * 170])
def test_nul_and_500_characters_are_harmless(client, district, typed):
    found = labels(client, typed)
    assert len(found) <= 10
    if "\x00" in typed:
        assert found[0] == TARGET


@pytest.mark.parametrize(
    "typed", ["京口路新村", "京口路5号楼", "京口路社区", "火星基地99号楼", "东街三组二号"]
)
def test_one_query_whatever_is_typed(client, district, django_assert_num_queries, typed):
    with django_assert_num_queries(1):
        client.get(LOOKUP, {"q": typed})
