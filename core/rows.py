"""One row by its primary key, with its SELECT written once per process.

`Model.objects.get(pk=…)` builds and compiles a query on every call: on the resident's form,
whose POST reads the chosen building, that was 0.5 ms of CPU for a look-up PostgreSQL answers
in a fraction of it (bench/load_profile.py). `row_by_pk` compiles the same SELECT (the default
manager's, without its ordering) once per model and database and then only runs it, through
Django's cursor: the query is logged, counted and wrapped like any other.
"""

from django.db import DEFAULT_DB_ALIAS, connections

# A primary key no row has, to find the query's one parameter.
_PROBE = -7_654_321_987
_COMPILED: dict[tuple, tuple | None] = {}


def _compiled(model, connection):
    key = (model, connection)  # per connection: the converters are its backend's
    if key not in _COMPILED:
        queryset = model._default_manager.using(connection.alias).filter(pk=_PROBE).order_by()
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        # What the ORM does to the values the driver returns (SQLite's datetimes, JSON, …).
        converters = compiler.get_converters([column for column, _sql, _alias in compiler.select])
        opts = model._meta
        bounds = connection.ops.integer_field_ranges.get(opts.pk.get_internal_type(), (None, None))
        names = [field.attname for field in opts.concrete_fields]
        # A manager that filters rows of its own has other parameters: it keeps the ORM's way.
        if tuple(params) != (_PROBE,) or len(compiler.select) != len(names):
            _COMPILED[key] = None
        else:
            _COMPILED[key] = (sql, names, bounds, list(converters.items()))
    return _COMPILED[key]


def row_by_pk(model, pk: int, *, using: str = DEFAULT_DB_ALIAS):
    """The row of `model` whose primary key is `pk` (an integer), as
    `model.objects.filter(pk=pk).first()` gives it, or None."""
    connection = connections[using]
    compiled = _compiled(model, connection)
    if compiled is None:
        return model._default_manager.using(using).filter(pk=pk).first()
    sql, names, (low, high), converters = compiled
    if (low is not None and pk < low) or (high is not None and pk > high):
        return None  # no such key, and beyond what the column holds: not asked
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    if converters:
        row = list(row)
        for position, (functions, expression) in converters:
            for function in functions:
                row[position] = function(row[position], expression, connection)
    return model.from_db(using, names, row)
