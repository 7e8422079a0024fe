"""Writes to grids, buildings and stations."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from organization import services as org_services
from organization.models import OrgForm, OrgUnit, Person, UnitKind

from .models import Building, Grid, OpeningHours, ServiceStation


def _clean(obj) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), extra=exc.message_dict) from exc


def grid_create(
    *,
    community: OrgUnit,
    code: str,
    name: str,
    org_form: str = OrgForm.BRANCH,
    leader: Person | None = None,
    households: int = 0,
    population: int = 0,
    center_lat: float | None = None,
    center_lng: float | None = None,
) -> Grid:
    """A grid together with its grid party branch (or party group): "支部建在网格上"."""
    with transaction.atomic():
        branch_name = f"{name}党{'小组' if org_form == OrgForm.GROUP else '支部'}"
        unit = org_services.orgunit_create(
            kind=UnitKind.GRID, name=branch_name, code=code, parent=community, org_form=org_form
        )
        grid = Grid(
            code=code,
            name=name,
            community=community,
            unit=unit,
            leader=leader,
            households=households,
            population=population,
            center_lat=center_lat,
            center_lng=center_lng,
        )
        _clean(grid)
        grid.save()
        return grid


GRID_EDITABLE = {
    "name",
    "leader",
    "households",
    "population",
    "boundary",
    "center_lat",
    "center_lng",
}


def grid_update(*, grid: Grid, **changes) -> Grid:
    unknown = set(changes) - GRID_EDITABLE
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed here: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    with transaction.atomic():
        grid = Grid.objects.select_for_update().get(pk=grid.pk)
        for name, value in changes.items():
            setattr(grid, name, value)
        _clean(grid)
        grid.save()
        return grid


def station_set_hours(
    *, station: ServiceStation, periods: Iterable[tuple[int, datetime.time, datetime.time]]
) -> list[OpeningHours]:
    """Replace a station's weekly hours with (weekday, opens, closes) periods."""
    with transaction.atomic():
        rows = [OpeningHours(station=station, weekday=d, opens=o, closes=c) for d, o, c in periods]
        starts = set()
        for row in rows:
            if row.opens == row.closes:
                raise ApplicationError(_("Opening and closing times must differ."))
            if (row.weekday, row.opens) in starts:
                raise ApplicationError(_("This station already opens at that time that day."))
            starts.add((row.weekday, row.opens))
        OpeningHours.objects.filter(station=station).delete()
        return OpeningHours.objects.bulk_create(rows)


def building_create(
    *, grid: Grid, name: str, address: str, lat: float, lng: float, households: int = 0
) -> Building:
    building = Building(
        grid=grid, name=name, address=address, lat=lat, lng=lng, households=households
    )
    _clean(building)
    building.save()  # save() derives the search keys from the address
    return building


BUILDING_EDITABLE = {"name", "address", "lat", "lng", "households", "unit"}


def building_update(*, building: Building, **changes) -> Building:
    """Change a building; a new address gets new search keys with it."""
    unknown = set(changes) - BUILDING_EDITABLE
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed here: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    with transaction.atomic():
        building = Building.objects.select_for_update().get(pk=building.pk)
        for name, value in changes.items():
            setattr(building, name, value)
        _clean(building)
        building.save()
        return building


def buildings_refresh_search_keys(
    *, community: OrgUnit | None = None, batch_size: int = 2000
) -> int:
    """Derive again the search keys of every building (or a community's): after a community is
    renamed (its name is part of its buildings' keys) or the normalization in grids.search
    changed. Returns how many buildings changed."""
    qs = Building.objects.select_related("grid__community").order_by("pk")
    if community is not None:
        qs = qs.filter(grid__community=community)
    changed: list[Building] = []
    count = 0
    with transaction.atomic():
        for building in qs.iterator(chunk_size=batch_size):
            keys = (building.search_key, building.sort_key)
            building.refresh_search_keys(building.grid.community.name)
            if (building.search_key, building.sort_key) != keys:
                changed.append(building)
            if len(changed) >= batch_size:
                count += len(changed)
                Building.objects.bulk_update(changed, ["search_key", "sort_key"])
                changed = []
        count += len(changed)
        Building.objects.bulk_update(changed, ["search_key", "sort_key"])
    return count
