"""core.rows.row_by_pk: the row by its primary key, as the ORM gives it, in one query; None for
a key no row has, also one beyond what the column can hold."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.rows import row_by_pk
from grids.models import Building
from tests.resident_requests.factories import world

pytestmark = pytest.mark.django_db


def test_the_row_is_the_orms_field_for_field_in_one_query():
    building = world().buildings[0]
    with CaptureQueriesContext(connection) as queries:
        found = row_by_pk(Building, building.pk)
    assert len(queries) == 1 and "ORDER BY" not in queries[0]["sql"]
    expected = Building.objects.get(pk=building.pk)
    assert type(found) is Building and found.pk == building.pk
    for field in Building._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert not found._state.adding and found._state.db == "default"
    found.households = 77
    found.save(update_fields=["households"])  # a row like any other: it saves
    assert Building.objects.get(pk=building.pk).households == 77


def test_no_row_for_a_missing_or_impossible_key():
    world()
    assert row_by_pk(Building, 987_654_321) is None
    assert row_by_pk(Building, 0) is None
    with CaptureQueriesContext(connection) as queries:
        assert row_by_pk(Building, 10**30) is None  # no database error: not asked
        assert row_by_pk(Building, -(10**30)) is None
    assert len(queries) == 0
