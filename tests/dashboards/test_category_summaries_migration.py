"""Upgrading a database whose summaries are current: the migration that adds the summaries
split by category makes the next refresh rebuild every day, so a category's dashboard never
reads those new tables empty."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Sum

from dashboards.models import GridDayCategorySummary, SummaryState
from dashboards.services import summaries_refresh
from resident_requests.models import ResidentRequest

from .factories import at, request


@pytest.mark.django_db(transaction=True)
def test_the_first_refresh_after_the_migration_fills_the_category_summaries(world):
    request(world.g1, world.garbage, at("2026-01-05"))
    summaries_refresh(full=True)
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([("dashboards", "0005_grid_period_summary")])
    try:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([("dashboards", "0006_grid_category_summaries")])
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    assert SummaryState.objects.get().refreshed_up_to is None

    summaries_refresh()  # the periodic refresh, as it runs after the upgrade

    received = GridDayCategorySummary.objects.aggregate(total=Sum("received"))["total"]
    assert received == ResidentRequest.objects.count()
    assert GridDayCategorySummary.objects.filter(
        grid=world.g1, category=world.garbage, day=datetime.date(2026, 1, 5)
    ).exists()
