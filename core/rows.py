"""One row by its primary key, the rows of a query by one value, and one new row, each with
its SQL written once per process.

`Model.objects.get(pk=…)` builds and compiles a query on every call: on the resident's form,
whose POST reads the chosen building, that was 0.5 ms of CPU for a look-up PostgreSQL answers
in a fraction of it (bench/load_profile.py). `row_by_pk` compiles the same SELECT (the default
manager's, without its ordering) once per model and database and then only runs it, through
Django's cursor: the query is logged, counted and wrapped like any other. It is one use of
`Prepared`, which does the same for any queryset of whole rows of one model that varies by one
value (the tracking page's request by its token, its timeline and its photos by the request).

`insert_row` does the same for `obj.save()` of a new row (a new request, its timeline event and
its short link are three INSERTs whose compiling cost more than their running), and
`insert_new_rows` for the outbox's `bulk_create(…, ignore_conflicts=True)`. `raw_rows` runs SQL
written by hand (the form's "me too" look-up) and reads its rows as `Model.objects.raw` would.

On PostgreSQL each of them runs, through `execute`, as a prepared statement of its connection
(PREPARE once, then EXECUTE): PostgreSQL then plans it once, not at every call. Planning cost
more than running for these short statements (pg_stat_statements in a `bench/load.py` run: the
tracking page's request by its token 0.32 ms of planning against 0.07 ms of execution; a table
with many indexes takes long to plan). `DATABASE_PREPARED_STATEMENTS=false` turns it off, for
a pooler that hands one session's statements to another (PgBouncer in transaction mode).
Otherwise the connections also set `plan_cache_mode=force_generic_plan` (settings): every
statement prepared here is written to have one good plan whatever its values, and PostgreSQL
then plans it once instead of again at each call while that plan looks costlier.
"""

import hashlib
import re

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.models.constants import OnConflict
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery

# Values no query is asked for, to find a prepared query's one parameter.
_PROBE = -7_654_321_987
_PROBE_TEXT = "\x1fcore.rows probe\x1f"


def _converted(row, converters, connection) -> list:
    """`row` with the ORM's converters applied, as its compiler would apply them."""
    row = list(row)
    for position, (functions, expression) in converters:
        for function in functions:
            row[position] = function(row[position], expression, connection)
    return row


def _prepared(obj, fields, connection) -> list | None:
    """The values of `fields` of the new `obj` as an INSERT sends them (pre_save, then
    get_db_prep_save), or None when one is an expression the ORM has to compile."""
    values = []
    for field in fields:
        value = field.pre_save(obj, True)
        if hasattr(value, "resolve_expression"):
            return None
        values.append(field.get_db_prep_save(value, connection=connection))
    return values


# SQL with %s placeholders → (its prepared statement's name, its text with $1, $2, …).
_STATEMENTS: dict[str, tuple[str, str]] = {}
_PLACEHOLDER = re.compile(r"%[s%]")


def _statement(sql: str) -> tuple[str, str]:
    found = _STATEMENTS.get(sql)
    if found is None:
        numbers = iter(range(1, sql.count("%s") + 1))
        text = _PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else f"${next(numbers)}", sql)
        name = "core_rows_" + hashlib.sha256(sql.encode()).hexdigest()[:20]
        found = _STATEMENTS[sql] = (name, text)
    return found


def as_written(sql: str) -> str:
    """The SQL a logged `EXECUTE name (…)` of `execute` runs, as its caller wrote it (with its
    `%s` placeholders); any other SQL as it is."""
    match = re.search(r"EXECUTE (core_rows_\w+)", sql)
    if match is None:
        return sql
    return next(
        (written for written, (name, _text) in _STATEMENTS.items() if name == match.group(1)),
        sql,
    )


def execute(cursor, sql: str, params, *, before: str = "") -> None:
    """`cursor.execute(before + sql, params)`, Django's cursor (logged, counted and wrapped as
    usual); on PostgreSQL as this connection's prepared statement `EXECUTE name(…)`. `sql` is
    one statement with positional `%s` placeholders whose types PostgreSQL can tell from the
    statement (a column compared or written; else a cast: `%s::text IS NULL`); `before`,
    statements without parameters run ahead of it in the same round trip (`SET LOCAL …;`).

    The PREPARE is sent on the connection's own cursor the first time the connection runs
    `sql`, as Django sends its session settings when it connects: not a query of the caller's.
    PostgreSQL keeps a prepared statement for the session whatever becomes of the transaction
    it was made in; a new connection prepares again. A statement PostgreSQL can no longer run
    as prepared (a migration changed the type of a column it returns: "cached plan must not
    change result type"; or the session's statements were dropped) is prepared again: at once
    outside a transaction; inside one, the transaction fails as it would on any error, and the
    connection's statements are dropped and prepared again at their next use.
    """
    db = cursor.db
    if db.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        cursor.execute(before + sql, params)
        return
    name, text = _statement(sql)
    arguments = f" ({', '.join(['%s'] * len(params))})" if params else ""
    for last_try in (False, True):
        _prepare(db, name, text)
        try:
            cursor.execute(f"{before}EXECUTE {name}{arguments}", params)
            return
        except DatabaseError as error:
            if getattr(error.__cause__, "pgcode", None) not in _PREPARE_AGAIN:
                raise
            db._core_rows_prepared = (db.connection, set(), True)  # DEALLOCATE ALL first
            if last_try or db.in_atomic_block:
                raise


# SQLSTATEs of a prepared statement to make again: "cached plan must not change result type"
# (feature_not_supported) and "prepared statement … does not exist" (invalid_sql_statement_name).
_PREPARE_AGAIN = {"0A000", "26000"}


def _prepare(db, name: str, text: str) -> None:
    """PREPARE `name` on `db`'s connection unless it is there already."""
    raw = db.connection
    made = getattr(db, "_core_rows_prepared", None)
    if made is None or made[0] is not raw:
        made = db._core_rows_prepared = (raw, set(), False)
    if made[2]:  # drop what the session has before preparing again
        with db.wrap_database_errors, raw.cursor() as own:
            own.execute("DEALLOCATE ALL")
        made = db._core_rows_prepared = (raw, set(), False)
    if name not in made[1]:
        with db.wrap_database_errors, raw.cursor() as own:
            own.execute(f"PREPARE {name} AS {text}")
        made[1].add(name)


_BY_PK: dict = {}


def row_by_pk(model, pk: int, *, using: str = DEFAULT_DB_ALIAS):
    """The row of `model` whose primary key is `pk` (an integer), as
    `model.objects.filter(pk=pk).first()` gives it, or None."""
    opts = model._meta
    ranges = connections[using].ops.integer_field_ranges
    low, high = ranges.get(opts.pk.get_internal_type(), (None, None))
    if (low is not None and pk < low) or (high is not None and pk > high):
        return None  # no such key, and beyond what the column holds: not asked
    if model not in _BY_PK:
        _BY_PK[model] = Prepared(lambda key: model._default_manager.filter(pk=key).order_by()[:1])
    rows = _BY_PK[model](pk, using=using)
    return rows[0] if rows else None


class Prepared:
    """A queryset of whole rows of one model, built by `build(value)` around one value (a text
    or an integer), compiled once per database; called with a value, its rows as the queryset
    gives them, in one query:

        _TIMELINE = Prepared(lambda pk: RequestEvent.objects.filter(request_id=pk).order_by("id"))
        _TIMELINE(request.pk)

    Deferred fields (`.only()`), an ordering and a slice are kept. A queryset the SQL cannot be
    reused for keeps the ORM's way, each call: select_related, annotations or extra columns,
    or a value the lookup changes before it is sent (`__contains`) or sends more than once.
    """

    def __init__(self, build, kind: type = int):
        if kind not in (int, str):
            raise TypeError("Prepared takes int or str values")
        self.build = build
        self.kind = kind
        self._compiled: dict = {}

    def __call__(self, value, *, using: str = DEFAULT_DB_ALIAS) -> list:
        connection = connections[using]
        if connection not in self._compiled:
            self._compiled[connection] = self._compile(connection)
        compiled = self._compiled[connection]
        if compiled is None or type(value) is not self.kind:
            return list(self.build(value).using(using))
        model, sql, params, position, names, converters = compiled
        params = list(params)
        params[position] = value
        with connection.cursor() as cursor:
            execute(cursor, sql, params)
            fetched = cursor.fetchall()
        return [
            model.from_db(using, names, _converted(row, converters, connection)) for row in fetched
        ]

    def _compile(self, connection):
        probe = _PROBE if self.kind is int else _PROBE_TEXT
        queryset = self.build(probe).using(connection.alias)
        query = queryset.query
        if (
            queryset._iterable_class is not models.query.ModelIterable
            or query.select_related
            or query.annotations
            or query.extra
            or queryset._prefetch_related_lookups
        ):
            return None
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        positions = [i for i, p in enumerate(params) if type(p) is self.kind and p == probe]
        columns = [column for column, _sql, _alias in compiler.select]
        if len(positions) != 1 or compiler.klass_info.get("related_klass_infos"):
            return None
        names = [column.target.attname for column in columns]
        converters = list(compiler.get_converters(columns).items())
        return (query.model, sql, tuple(params), positions[0], names, converters)


# How the columns a raw query returns read as fields, by model, connection and column names.
_RAW_COLUMNS: dict[tuple, tuple] = {}


def raw_rows(model, sql: str, params, *, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    """`model.objects.raw(sql, params)` through `execute` (on PostgreSQL a prepared statement):
    for each row, an instance of `model` with the columns of its own the SQL selects (by their
    column names; the other fields deferred), converted as the ORM converts them, and a dict of
    the other columns (joined tables' columns, by their names or aliases)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        execute(cursor, sql, params)
        columns = tuple(column[0] for column in cursor.description)
        fetched = cursor.fetchall()
    key = (model, connection, columns)
    if key not in _RAW_COLUMNS:
        by_column = {field.column: field for field in model._meta.concrete_fields}
        own = sorted(
            (i for i, name in enumerate(columns) if name in by_column),
            key=lambda i: model._meta.concrete_fields.index(by_column[columns[i]]),
        )
        converters = []
        for i in own:
            col = by_column[columns[i]].get_col(model._meta.db_table)
            functions = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if functions:
                converters.append((i, (functions, col)))
        names = [by_column[columns[i]].attname for i in own]
        extra = [(i, name) for i, name in enumerate(columns) if name not in by_column]
        _RAW_COLUMNS[key] = (own, names, converters, extra)
    own, names, converters, extra = _RAW_COLUMNS[key]
    rows = []
    for row in fetched:
        row = _converted(row, converters, connection) if converters else row
        rows.append(
            (
                model.from_db(using, names, [row[i] for i in own]),
                {name: row[i] for i, name in extra},
            )
        )
    return rows


_INSERTS: dict[tuple, tuple | None] = {}


def _insert_compiled(model, connection):
    key = (model, connection)
    if key not in _INSERTS:
        opts = model._meta
        fields = [
            f for f in opts.local_concrete_fields if not f.generated and f is not opts.auto_field
        ]
        returning = opts.db_returning_fields
        plain = (
            # A model's own save() must run (it keeps the ORM's way), unless the model says it
            # adds nothing to the INSERT of a new row (RequestEvent's refuses changes only).
            (model.save is models.Model.save or getattr(model, "plain_insert", False))
            and not opts.parents
            and opts.order_with_respect_to is None
            and opts.auto_field is not None
            and connection.features.can_return_columns_from_insert
            and not any(hasattr(field, "get_placeholder") for field in fields)
        )
        if not plain:
            _INSERTS[key] = None
        else:
            quote = connection.ops.quote_name
            table = f"{quote(opts.db_table)} ({', '.join(quote(field.column) for field in fields)})"
            returning_sql, returning_params = connection.ops.return_insert_columns(returning)
            sql = (
                f"INSERT INTO {table} "  # noqa: S608 (names from the model; values as parameters)
                f"VALUES ({', '.join(['%s'] * len(fields))}) {returning_sql}"
            )
            compiler = InsertQuery(model).get_compiler(connection=connection)
            converters = compiler.get_converters([f.get_col(opts.db_table) for f in returning])
            _INSERTS[key] = (
                sql,
                tuple(returning_params),
                fields,
                returning,
                list(converters.items()),
                table,
            )
    return _INSERTS[key]


def insert_row(obj, *, using: str = DEFAULT_DB_ALIAS):
    """Insert `obj`, a new instance, as `obj.save(force_insert=True)` does: the same row, its
    id and database-made values set on it, the same errors. A model with its own save() (unless
    it sets `plain_insert = True`: that save() does nothing more for a new row), a parent
    model, or receivers of pre_save or post_save is saved by the ORM itself."""
    model = type(obj)
    connection = connections[using]
    compiled = _insert_compiled(model, connection)
    if compiled is None or pre_save.has_listeners(model) or post_save.has_listeners(model):
        obj.save(using=using, force_insert=True)
        return obj
    sql, returning_params, fields, returning, converters, _table = compiled
    obj._prepare_related_fields_for_save(operation_name="save")
    values = _prepared(obj, fields, connection)
    if values is None:  # an expression to compile: the ORM's way
        obj.save(using=using, force_insert=True)
        return obj
    with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
        execute(cursor, sql, values)
        row = connection.ops.fetch_returned_insert_columns(cursor, returning_params)
    row = _converted(row, converters, connection)
    for value, field in zip(row, returning, strict=True):
        setattr(obj, field.attname, value)
    obj._state.adding = False
    obj._state.db = using
    return obj


# The multi-row INSERTs by model, connection, row count and returned fields; a few counts only.
_MANY_ROWS = 50
_INSERTS_IGNORING: dict[tuple, str] = {}


def insert_new_rows(objs: list, *, returning: list, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    """INSERT the new instances `objs` (of one model) in one statement, as
    `Model.objects._insert(objs, …, on_conflict=OnConflict.IGNORE)` does for bulk_create(…,
    ignore_conflicts=True): a row that conflicts with a unique key is left out, the others
    written. The values of the fields `returning` of each row written (not of those left out),
    in no set order. The SQL for one count of rows is written once; more than a few rows, or
    a value that is an expression, keep the ORM's way.
    """
    if not objs:
        return []
    model = type(objs[0])
    connection = connections[using]
    compiled = _insert_compiled(model, connection)
    if (
        compiled is None
        or len(objs) > _MANY_ROWS
        or not connection.features.can_return_rows_from_bulk_insert
    ):
        return _insert_new_rows_by_orm(objs, returning, using)
    _sql, _params, fields, _returning, _converters, table = compiled
    key = (model, connection, len(objs), tuple(returning))
    sql = _INSERTS_IGNORING.get(key)
    if sql is None:
        row = f"({', '.join(['%s'] * len(fields))})"
        returning_sql, _ = connection.ops.return_insert_columns(returning)
        conflict = connection.ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)
        sql = _INSERTS_IGNORING[key] = (
            f"{connection.ops.insert_statement(on_conflict=OnConflict.IGNORE)} {table} "
            f"VALUES {', '.join([row] * len(objs))} {conflict} {returning_sql}"
        )
    values = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        prepared = _prepared(obj, fields, connection)
        if prepared is None:
            return _insert_new_rows_by_orm(objs, returning, using)
        values += prepared
    with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
        execute(cursor, sql, values)
        return [tuple(row) for row in cursor.fetchall()]


def _insert_new_rows_by_orm(objs, returning, using):
    model = type(objs[0])
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.generated and f is not opts.pk]
    connection = connections[using]
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    rows = []
    size = connection.ops.bulk_batch_size(fields, objs) or len(objs)
    for start in range(0, len(objs), size):
        returned = model._base_manager.using(using)._insert(
            objs[start : start + size],
            fields=fields,
            returning_fields=returning,
            on_conflict=OnConflict.IGNORE,
        )
        rows += [tuple(row) for row in returned if row is not None]
    return rows
