"""The demo stations: the district's figures, and a service circle honestly below 100%."""

import io

import pytest
from django.core.management.base import BaseCommand, OutputWrapper

from core.management.commands.load_demo import DEMO_SEED, DemoContext
from grids import demo as grids_demo
from grids.models import Building, ServiceStation, StationLevel
from grids.selectors import buildings_search, coverage_summary
from organization import demo as organization_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        command = BaseCommand(stdout=io.StringIO())
        command.stdout = OutputWrapper(io.StringIO())
        ctx = DemoContext(command, DEMO_SEED)
        organization_demo.load(ctx)
        grids_demo.load(ctx)
        yield ctx
        from django.core.management import call_command

        call_command("flush", "--noinput", verbosity=0)


def test_demo_has_160_plus_open_stations_of_every_level(demo):
    active = ServiceStation.objects.filter(active=True)
    assert active.count() >= 160
    levels = set(active.values_list("level", flat=True))
    assert levels == {s.value for s in StationLevel}
    centres = active.filter(level=StationLevel.COMMUNITY)
    assert centres.filter(is_demonstration=True).count() == 20  # 10 a year
    assert active.filter(level=StationLevel.GRID, upgraded_year__isnull=False).count() >= 100
    assert ServiceStation.objects.filter(hours__isnull=True).count() == 0
    assert not active.filter(phone="").exists()


def test_demo_has_evening_weekend_and_past_midnight_hours(demo):
    from grids.models import OpeningHours

    assert OpeningHours.objects.filter(weekday__in=[5, 6]).exists()
    assert OpeningHours.objects.filter(opens__gte="18:00").exists()
    assert any(h.closes < h.opens for h in OpeningHours.objects.all())


def test_demo_coverage_is_high_but_below_100_percent(demo):
    summary = coverage_summary()
    assert summary.buildings == Building.objects.count() > 3500
    assert 0.9 < summary.building_share < 1.0
    assert 0.9 < summary.household_share < 1.0


def test_the_demo_grid_leaders_grid_has_a_station(demo):
    station = ServiceStation.objects.get(owner_unit__code="JK-S1-C01-G01")
    assert station.active and station.grids_served.filter(code="JK-S1-C01-G01").exists()
    assert station.services.filter(code="volunteer").exists()


def test_a_second_run_adds_nothing(demo):
    before = (ServiceStation.objects.count(), Building.objects.count())
    grids_demo.load(demo)
    assert (ServiceStation.objects.count(), Building.objects.count()) == before


def test_the_demo_buildings_are_found_however_they_are_spelt(demo):
    # bulk_create skips save(): the demo loader fills the search keys itself.
    assert not Building.objects.filter(search_key="").exists()
    for typed in ["京口路新村五号楼", "京口路新村5栋", "京口路5号楼", "京口路新村 5号楼"]:
        assert buildings_search(typed)[0].address == "京口路新村5号楼"
    estate = [b.address for b in buildings_search("京口路新村")]
    assert estate[:5] == [f"京口路新村{n}号楼" for n in range(1, 6)]
