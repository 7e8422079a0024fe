"""core.rows: row_by_pk, the row by its primary key as the ORM gives it, in one query (None for
a key no row has, also one beyond what the column can hold); insert_row, a new row as save()
writes it, with the same errors; on PostgreSQL each a prepared statement of its connection."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.rows import (
    Prepared,
    as_written,
    execute,
    insert_new_rows,
    insert_row,
    raw_rows,
    row_by_pk,
)
from grids.models import Building
from notifications.models import ShortLink
from resident_requests.models import ActorRole, EventKind, RequestEvent, ResidentRequest, Status
from tests.resident_requests.factories import submit, world

pytestmark = pytest.mark.django_db


def test_the_row_is_the_orms_field_for_field_in_one_query():
    building = world().buildings[0]
    with CaptureQueriesContext(connection) as queries:
        found = row_by_pk(Building, building.pk)
    assert len(queries) == 1 and "ORDER BY" not in as_written(queries[0]["sql"])
    assert "grids_building" in as_written(queries[0]["sql"])
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


# --- insert_row -------------------------------------------------------------------------------


def _row(model, pk):
    return model.objects.filter(pk=pk).values().get()


def test_insert_row_writes_the_row_save_writes_in_one_query():
    w = world()
    old = submit(w)
    made = RequestEvent(
        request=old, kind=EventKind.OVERDUE, actor_role=ActorRole.SYSTEM, internal_note="记录"
    )
    saved = RequestEvent(
        request=old, kind=EventKind.OVERDUE, actor_role=ActorRole.SYSTEM, internal_note="记录"
    )
    with CaptureQueriesContext(connection) as queries:
        assert insert_row(made) is made
    assert len(queries) == 1 and as_written(queries[0]["sql"]).startswith("INSERT")
    saved.save()
    assert made.pk and made.pk != saved.pk and not made._state.adding
    assert made._state.db == "default" and made.created_at is not None
    mine, theirs = _row(RequestEvent, made.pk), _row(RequestEvent, saved.pk)
    for row in (mine, theirs):
        row.pop("id")
        assert abs((row.pop("created_at") - timezone.now()).total_seconds()) < 60
    assert mine == theirs  # field for field, but the id and the time


def test_a_new_request_gets_its_tracking_code_and_tokens():
    w = world()
    request = ResidentRequest(
        submitter_name="李阿姨",
        submitter_phone="13912345678",
        building=w.buildings[0],
        grid=w.grids[0],
        category=w.category,
        description="楼道灯坏了",
        status=Status.SUBMITTED,
        accept_deadline=timezone.now(),
    )
    insert_row(request)
    stored = ResidentRequest.objects.get(pk=request.pk)
    assert re.fullmatch(r"JK-\d{8}-[0-9A-Z]{9}", stored.code) and stored.code == request.code
    assert stored.access_token == request.access_token and len(stored.access_token) >= 32
    assert stored.grid_id == w.grids[0].pk and stored.created_at == request.created_at


def test_a_unique_key_taken_raises_as_save_does_and_spoils_only_its_block():
    first = insert_row(ShortLink(target="/requests/"))
    with transaction.atomic():
        with pytest.raises(IntegrityError), transaction.atomic():
            insert_row(ShortLink(token=first.token, target="/requests/"))
        insert_row(ShortLink(target="/problems/"))  # the outer block goes on
    assert ShortLink.objects.filter(token=first.token).count() == 1
    assert ShortLink.objects.filter(target="/problems/").exists()
    with pytest.raises(IntegrityError), transaction.atomic():  # the table's own check
        insert_row(ShortLink(target="https://evil.example/"))
    assert ResidentRequest.objects.count() == 0  # nothing else was written


def test_a_model_with_receivers_or_its_own_save_is_saved_by_the_orm():
    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append((instance.pk, created))

    post_save.connect(receiver, sender=ShortLink, dispatch_uid="test_rows_receiver")
    try:
        link = insert_row(ShortLink(target="/requests/"))
    finally:
        post_save.disconnect(sender=ShortLink, dispatch_uid="test_rows_receiver")
    assert heard == [(link.pk, True)]
    # A model's own save() runs: the building's keeps its search keys in step with its address.
    w = world()
    building = insert_row(Building(grid=w.grids[0], address="京口路9号", lat=32.2, lng=119.4))
    assert building.search_key and Building.objects.get(pk=building.pk).search_key


def test_a_timeline_event_is_written_by_the_compiled_insert_not_its_save(monkeypatch):
    """RequestEvent's save() only refuses changes to a saved event (plain_insert): a new one,
    one on every transition, skips the ORM's compiling; a change is still refused."""
    old = submit(world())

    def no_save(self, *args, **kwargs):
        raise AssertionError("the ORM's save() ran")

    with monkeypatch.context() as patched:
        patched.setattr(RequestEvent, "save", no_save)
        event = insert_row(
            RequestEvent(request=old, kind=EventKind.OVERDUE, actor_role=ActorRole.SYSTEM)
        )
    assert RequestEvent.objects.filter(pk=event.pk, kind=EventKind.OVERDUE).exists()
    event.internal_note = "改过"
    with pytest.raises(ValidationError):
        event.save()


def test_insert_new_rows_leaves_out_the_rows_whose_key_is_taken():
    first = insert_row(ShortLink(target="/requests/"))
    rows = [
        ShortLink(target="/a/"),
        ShortLink(token=first.token, target="/b/"),  # taken: left out, no error
        ShortLink(target="/c/"),
    ]
    token = ShortLink._meta.get_field("token")
    with CaptureQueriesContext(connection) as queries:
        returned = insert_new_rows(rows, returning=[ShortLink._meta.pk, token])
    assert len(queries) == 1
    assert sorted(t for _pk, t in returned) == sorted([rows[0].token, rows[2].token])
    stored = dict(ShortLink.objects.values_list("token", "target"))
    assert stored == {first.token: "/requests/", rows[0].token: "/a/", rows[2].token: "/c/"}
    for pk, t in returned:
        assert ShortLink.objects.get(pk=pk).token == t
    assert insert_new_rows([], returning=[token]) == []
    many = [ShortLink(target=f"/{i}/") for i in range(60)]  # beyond the compiled counts: the ORM
    assert len(insert_new_rows(many, returning=[token])) == 60
    assert ShortLink.objects.count() == 63


# --- Prepared ---------------------------------------------------------------------------------


def _timeline(request_id):
    return (
        RequestEvent.objects.filter(request_id=request_id)
        .exclude(kind=EventKind.OVERDUE)
        .only("request", "kind", "internal_note", "created_at")
        .order_by("-id")
    )


def _fields(row):
    return {
        f.attname: getattr(row, f.attname)
        for f in type(row)._meta.concrete_fields
        if f.attname not in row.get_deferred_fields()
    }


def test_prepared_gives_the_querysets_rows_in_one_query_compiled_once(monkeypatch):
    from django.db.models.sql.compiler import SQLCompiler

    w = world()
    requests = [submit(w), submit(w, submitter_phone="13900000002")]
    for request in requests:
        for note in ("一", "二"):
            RequestEvent.objects.create(
                request=request, kind=EventKind.OVERDUE, actor_role=ActorRole.SYSTEM
            )
            RequestEvent.objects.create(
                request=request,
                kind=EventKind.CALLED_BACK,
                actor_role=ActorRole.SYSTEM,
                internal_note=note,
            )
    timeline = Prepared(_timeline)
    compiled = []
    real_as_sql = SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler,
        "as_sql",
        lambda self, *a, **kw: compiled.append(1) or real_as_sql(self, *a, **kw),
    )
    compiles = []
    for request in requests:
        before = len(compiled)
        with CaptureQueriesContext(connection) as queries:
            rows = timeline(request.pk)
        compiles.append(len(compiled) - before)
        assert len(queries) == 1
        expected = list(_timeline(request.pk))
        assert [r.pk for r in rows] == [e.pk for e in expected]  # the ordering, the exclusion
        assert [_fields(r) for r in rows] == [_fields(e) for e in expected]
        assert [r.get_deferred_fields() for r in rows] == [
            e.get_deferred_fields() for e in expected
        ]
        assert {r.internal_note for r in rows if r.kind == EventKind.CALLED_BACK} == {"一", "二"}
    assert compiles == [1, 0]  # compiled for the first request; the second ran the same SQL
    assert timeline(987_654_321) == []


def test_prepared_by_text_with_a_slice():
    w = world()
    request = submit(w)
    by_token = Prepared(lambda token: ResidentRequest.objects.filter(access_token=token)[:1], str)
    (found,) = by_token(request.access_token)
    assert type(found) is ResidentRequest and found.pk == request.pk
    assert _fields(found) == _fields(ResidentRequest.objects.get(pk=request.pk))
    assert not found._state.adding and found._state.db == "default"
    assert by_token("no such token") == []


def test_prepared_keeps_the_orms_way_where_the_sql_cannot_be_reused():
    w = world()
    request = submit(w, description="楼道灯坏了")
    related = Prepared(lambda pk: ResidentRequest.objects.filter(pk=pk).select_related("category"))
    with CaptureQueriesContext(connection) as queries:
        (found,) = related(request.pk)
        assert found.category.pk == request.category_id  # joined, as select_related does
    assert len(queries) == 1
    # A lookup that changes the value before sending it: the ORM's SQL for each value.
    containing = Prepared(
        lambda text: ResidentRequest.objects.filter(description__contains=text), str
    )
    assert [r.pk for r in containing("灯坏")] == [request.pk]
    assert containing("水管") == []
    # A value of another type than the one compiled for: the ORM's way too.
    assert [
        r.pk for r in Prepared(lambda pk: ResidentRequest.objects.filter(pk=pk))(str(request.pk))
    ] == [request.pk]
    with pytest.raises(TypeError):
        Prepared(lambda pk: ResidentRequest.objects.filter(pk=pk), float)


# --- raw_rows ---------------------------------------------------------------------------------


def test_raw_rows_are_the_orms_instances_with_the_other_columns_beside_them():
    w = world()
    made = submit(w, description="楼道灯坏了")
    sql = (
        "SELECT b.address AS at_address, r.created_at, r.status, r.id, r.public_allowed "
        "FROM resident_requests_residentrequest r "
        "JOIN grids_building b ON b.id = r.building_id WHERE r.id = %s"
    )
    with CaptureQueriesContext(connection) as queries:
        ((found, extra),) = raw_rows(ResidentRequest, sql, [made.pk])
    assert len(queries) == 1
    expected = ResidentRequest.objects.get(pk=made.pk)
    assert type(found) is ResidentRequest and found.pk == made.pk
    # Converted as the ORM converts (on SQLite a timestamp is text and a boolean an integer).
    assert found.created_at == expected.created_at and found.created_at.tzinfo is not None
    assert found.public_allowed is expected.public_allowed
    assert found.status == expected.status
    assert extra == {"at_address": made.building.address}
    # What was not selected is deferred, read when asked for, as after .only().
    assert {"description", "building_id"} <= found.get_deferred_fields()
    assert found.description == "楼道灯坏了"
    assert not found._state.adding and found._state.db == "default"
    assert raw_rows(ResidentRequest, sql, [made.pk + 1000]) == []


# --- prepared statements (PostgreSQL) ---------------------------------------------------------


def _prepared_here() -> dict[str, str]:
    """This connection's prepared statements of core.rows: name → text."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, statement FROM pg_prepared_statements WHERE name LIKE 'core_rows_%%'"
        )
        return dict(cursor.fetchall())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # closes its connection
def test_a_statement_is_prepared_once_per_connection_and_then_only_executed():
    w = world()
    building = w.buildings[0]
    connection.close()  # a new session: nothing prepared yet
    with CaptureQueriesContext(connection) as queries:
        first = row_by_pk(Building, building.pk)
        second = row_by_pk(Building, w.buildings[1].pk)
    assert (first.pk, second.pk) == (building.pk, w.buildings[1].pk)
    # Two runs, each one EXECUTE of the same statement: the PREPARE is not the caller's query.
    names = {re.match(r"EXECUTE (\w+)", q["sql"]).group(1) for q in queries}
    assert len(queries) == 2 and len(names) == 1
    prepared = _prepared_here()
    (name,) = names
    assert set(prepared) == {name}
    assert 'FROM "grids_building"' in prepared[name] and "$1" in prepared[name]
    # A new connection prepares again, and the rows are the same.
    connection.close()
    assert row_by_pk(Building, building.pk).pk == building.pk
    assert set(_prepared_here()) == {name}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # closes its connection
def test_a_statement_prepared_in_a_rolled_back_block_serves_on():
    w = world()
    connection.close()
    with pytest.raises(IntegrityError), transaction.atomic():
        assert row_by_pk(Building, w.buildings[0].pk) is not None
        insert_row(ShortLink(token="x", target="/a/"))
        insert_row(ShortLink(token="x", target="/b/"))  # the token is taken: rolled back
    assert not ShortLink.objects.filter(token="x").exists()
    before = _prepared_here()
    assert len(before) == 2  # the SELECT's and the INSERT's
    assert row_by_pk(Building, w.buildings[0].pk).pk == w.buildings[0].pk
    made = insert_row(ShortLink(token="y", target="/c/"))
    assert ShortLink.objects.get(pk=made.pk).target == "/c/"
    assert _prepared_here() == before  # nothing prepared twice


@pytest.mark.postgres
def test_values_of_every_kind_and_a_literal_percent_sign_go_through_as_written():
    when = timezone.now()
    sql = (
        "SELECT %s::int + 1, %s || '%%', %s::timestamptz, %s::int = ANY(%s::int[]), "
        "%s::text IS NULL, %s::jsonb ->> 'k'"
    )
    params = [41, "五成", when, 3, [1, 2, 3], None, '{"k": "值"}']
    with connection.cursor() as cursor:
        execute(cursor, sql, params)
        prepared = cursor.fetchone()
        cursor.execute(sql, params)
        plain = cursor.fetchone()
    assert prepared == plain == (42, "五成%", when, True, True, "值")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # closes its connection
def test_without_prepared_statements_the_sql_runs_as_written(settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    w = world()
    connection.close()
    with CaptureQueriesContext(connection) as queries:
        assert row_by_pk(Building, w.buildings[0].pk).pk == w.buildings[0].pk
    assert queries[0]["sql"].startswith("SELECT")
    assert _prepared_here() == {}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # outside a transaction, and then inside one
def test_a_statement_whose_result_type_changed_is_prepared_again():
    """A migration that changes the type of a column a prepared statement returns: PostgreSQL
    refuses to run it as prepared ("cached plan must not change result type"). Outside a
    transaction it is prepared again at once; inside one, that transaction fails as on any
    error, and the next use prepares it again."""
    sql = "SELECT note FROM core_rows_probe WHERE id = %s"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE core_rows_probe (id int, note varchar(10))")
        cursor.execute("INSERT INTO core_rows_probe VALUES (1, '一')")
        execute(cursor, sql, [1])
        assert cursor.fetchone() == ("一",)
        cursor.execute("ALTER TABLE core_rows_probe ALTER note TYPE int USING 7")
        execute(cursor, sql, [1])
        assert cursor.fetchone() == (7,)
        cursor.execute("ALTER TABLE core_rows_probe ALTER note TYPE text USING 'text'")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        execute(cursor, sql, [1])
    with connection.cursor() as cursor:
        execute(cursor, sql, [1])
        assert cursor.fetchone() == ("text",)
        cursor.execute("DROP TABLE core_rows_probe")
