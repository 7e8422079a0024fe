"""The demo district exported to XLSX and imported into an empty database is the same district:
the same tree, the same counts of people, posts, grids, buildings, stations, departments and
categories, and re-importing the files changes nothing."""

import io

import pytest
from django.core.management.base import BaseCommand

from core.management.commands.load_demo import DEMO_SEED, DemoContext
from grids import demo as grids_demo
from grids.models import Building, Grid, OpeningHours, ServiceStation
from imports import services
from organization import demo as org_demo
from organization.models import Department, OrgUnit, Person, Position, StaffScope
from organization.selectors import tree_problems
from resident_requests import demo as requests_demo
from resident_requests.models import Category, ReplyTemplate

ORDER = ["org", "people", "grids", "buildings", "stations", "departments", "categories"]


def _district_snapshot():
    return {
        "tree": set(
            OrgUnit.objects.values_list("code", "parent__code", "kind", "org_form", "name")
        ),
        "people": set(
            Person.objects.values_list(
                "name", "phone", "political_status", "retired", "membership_unit__code"
            )
        ),
        "posts": sorted(
            Position.objects.filter(end_date__isnull=True).values_list(
                "person__phone", "unit__code", "role"
            )
        ),
        "grids": set(
            Grid.objects.values_list(
                "code",
                "name",
                "community__code",
                "unit__code",
                "leader__phone",
                "households",
                "population",
            )
        ),
        "buildings": set(
            Building.objects.values_list(
                "address", "name", "grid__code", "unit__code", "lat", "lng", "households"
            )
        ),
        "stations": set(
            ServiceStation.objects.values_list(
                "name", "level", "owner_unit__code", "address", "phone", "active", "upgraded_year"
            )
        ),
        "hours": set(
            OpeningHours.objects.values_list("station__name", "weekday", "opens", "closes")
        ),
        "station_services": set(ServiceStation.objects.values_list("name", "services__name")),
        "served": set(ServiceStation.objects.values_list("name", "grids_served__code")),
        "departments": set(
            Department.objects.values_list(
                "code", "name", "contact_phone", "paired_communities__code"
            )
        ),
        "categories": set(
            Category.objects.values_list(
                "code",
                "name",
                "parent__code",
                "default_level",
                "default_department__code",
                "hours_to_accept",
            )
        ),
    }


def _empty_the_district():
    OpeningHours.objects.all().delete()
    ServiceStation.objects.all().delete()
    Building.objects.all().delete()
    Grid.objects.all().delete()
    ReplyTemplate.objects.all().delete()
    Category.objects.filter(parent__isnull=False).delete()
    Category.objects.all().delete()
    Position.objects.all().delete()
    StaffScope.objects.all().delete()
    Person.objects.all().delete()
    Department.objects.all().delete()
    for level in reversed(range(6)):
        OrgUnit.objects.filter(level=level).delete()


@pytest.mark.django_db(transaction=False)
def test_the_demo_district_exported_and_imported_into_an_empty_database_is_the_same():
    ctx = DemoContext(BaseCommand(stdout=io.StringIO()), DEMO_SEED)
    org_demo.load(ctx)
    grids_demo.load(ctx)
    requests_demo._categories(ctx)
    before = _district_snapshot()
    assert len(before["tree"]) > 2000 and len(before["people"]) > 6000
    files = {kind: services.sheet_export(kind=kind, fmt="xlsx") for kind in ORDER}

    _empty_the_district()
    assert not OrgUnit.objects.exists()
    for kind in ORDER:
        result = services.sheet_import_file(kind=kind, data=files[kind], dry_run=False)
        assert services.result_ok(result), (kind, result.problems[:5])
        assert services.counts_of(result).new == services.counts_of(result).rows

    assert _district_snapshot() == before
    assert tree_problems() == []
    for kind in ORDER:
        result = services.sheet_import_file(kind=kind, data=files[kind], dry_run=False)
        counts = services.counts_of(result)
        assert (counts.new, counts.updated, counts.failed) == (0, 0, 0), kind
