"""core.migration_operations.DropPatternIndexes: the requests table and the outbox carry no LIKE
index that no query reads, and the migrations that dropped them can be undone."""

from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.state import ProjectState

from core.migration_operations import DropPatternIndexes
from notifications.models import Notification
from resident_requests.models import ResidentRequest

pytestmark = pytest.mark.django_db

DROPPED = {
    ResidentRequest: ["access_token", "submission_token", "public_id", "submitter_phone"],
    Notification: ["idempotency_key", "template_key"],
}


def _indexes(model) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s",
            [model._meta.db_table],
        )
        return dict(cursor.fetchall())


def _pattern_columns(model) -> set[str]:
    return {
        definition.rsplit("(", 1)[1].split()[0].strip('"')
        for definition in _indexes(model).values()
        if "_pattern_ops" in definition
    }


@pytest.mark.postgres
def test_only_the_tracking_codes_like_index_is_left_on_the_two_tables():
    # The admin's search by a code's beginning (code__startswith) keeps its index.
    assert _pattern_columns(ResidentRequest) == {"code"}
    assert _pattern_columns(Notification) == set()
    # The fields stay unique and indexed: each keeps its ordinary index.
    for model, fields in DROPPED.items():
        plain = " ".join(d for d in _indexes(model).values() if "_pattern_ops" not in d)
        for name in fields:
            assert f"({model._meta.get_field(name).column})" in plain, name


@pytest.mark.postgres
def test_the_drop_can_be_undone_and_done_again():
    state = ProjectState.from_apps(apps)
    operation = DropPatternIndexes(model_name="notification", fields=DROPPED[Notification])
    with connection.schema_editor() as editor:
        operation.database_backwards("notifications", editor, state, state)
    assert _pattern_columns(Notification) == {"idempotency_key", "template_key"}
    with connection.schema_editor() as editor:
        operation.database_forwards("notifications", editor, state, state)
    assert _pattern_columns(Notification) == set()


def test_elsewhere_it_changes_nothing():
    state = ProjectState.from_apps(apps)
    operation = DropPatternIndexes(model_name="residentrequest", fields=["access_token"])
    executed = []

    class Editor:  # a schema editor of another database: only its vendor is read
        connection = SimpleNamespace(vendor="sqlite", in_atomic_block=False)

        def execute(self, sql, params=()):
            executed.append(sql)

    operation.database_forwards("resident_requests", Editor(), state, state)
    operation.database_backwards("resident_requests", Editor(), state, state)
    assert executed == []
    # What the same operation does on PostgreSQL is in the two tests above.
    assert operation.describe() == "Drop the LIKE indexes of residentrequest: access_token"
