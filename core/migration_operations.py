"""Migration operations of the portal's own, for what Django's cannot say.

Imported by migrations: what is here stays importable under these names as long as a migration
uses it.
"""

from django.db.migrations.operations.base import Operation


class DropPatternIndexes(Operation):
    """Drop the `…_like` indexes (varchar_pattern_ops) Django builds on PostgreSQL beside the
    ordinary index of every unique or indexed CharField, for the fields `fields` of `model_name`
    that no LIKE 'prefix%' query reads: a token, a key, a phone compared whole. Each costs a
    write on every INSERT and a copy of the column on disk, for nothing.

    The model's state does not change (the fields stay unique or indexed: their ordinary indexes
    stay), and Django drops these indexes with IF EXISTS wherever it would, so later migrations
    of the fields still run. One that changes such a field's type builds its `_like` index again:
    tests/core/test_migration_operations.py fails then, and the field needs this again.

    PostgreSQL only (no other database has them). CONCURRENTLY outside a transaction (the
    migration says atomic = False), so that a table of millions keeps taking submissions; the
    reverse builds them again the same way.
    """

    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str, fields: list[str]):
        self.model_name = model_name
        self.fields = fields

    def deconstruct(self):
        return self.__class__.__name__, [], {"model_name": self.model_name, "fields": self.fields}

    def state_forwards(self, app_label, state):
        pass

    def describe(self):
        return f"Drop the LIKE indexes of {self.model_name}: {', '.join(self.fields)}"

    @property
    def migration_name_fragment(self):
        return f"drop_like_indexes_{self.model_name.lower()}"

    def _statements(self, app_label, schema_editor, state, *, drop: bool) -> list[str]:
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return []
        model = state.apps.get_model(app_label, self.model_name)
        concurrently = "" if connection.in_atomic_block else " CONCURRENTLY"
        statements = []
        for name in self.fields:
            field = model._meta.get_field(name)
            index = schema_editor._create_index_name(
                model._meta.db_table, [field.column], suffix="_like"
            )
            if drop:
                statements.append(
                    f"DROP INDEX{concurrently} IF EXISTS {schema_editor.quote_name(index)}"
                )
            else:
                # As Django chooses it (_create_like_index_sql): by the column's type.
                text = field.db_type(connection).startswith("text")
                opclass = "text_pattern_ops" if text else "varchar_pattern_ops"
                statements.append(
                    f"CREATE INDEX{concurrently} IF NOT EXISTS {schema_editor.quote_name(index)} "
                    f"ON {schema_editor.quote_name(model._meta.db_table)} "
                    f"({schema_editor.quote_name(field.column)} {opclass})"
                )
        return statements

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for sql in self._statements(app_label, schema_editor, to_state, drop=True):
            schema_editor.execute(sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for sql in self._statements(app_label, schema_editor, to_state, drop=False):
            schema_editor.execute(sql)
