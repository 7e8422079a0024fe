"""Reads of grids, buildings and stations."""

from django.db.models import QuerySet

from organization.models import OrgUnit
from organization.selectors import filter_visible, subtree_q

from .models import Building, Grid, ServiceStation


def grids_under(unit: OrgUnit) -> QuerySet[Grid]:
    """Every grid in a unit's subtree (a street's, a community's): one range query."""
    return Grid.objects.filter(subtree_q(unit, "unit"))


def grids_visible_to(user) -> QuerySet[Grid]:
    return filter_visible(Grid.objects.all(), user, Grid.SCOPE_PATH)


def buildings_visible_to(user) -> QuerySet[Building]:
    return filter_visible(Building.objects.all(), user, Building.SCOPE_PATH)


def stations_visible_to(user) -> QuerySet[ServiceStation]:
    return filter_visible(ServiceStation.objects.all(), user, ServiceStation.SCOPE_PATH)
