"""The admin's search by a phone's last 4 digits reads an index instead of every row.

On PostgreSQL the index is built CONCURRENTLY, so a district's table of millions keeps taking
submissions while it builds (the migration is not atomic for that reason); elsewhere it is a
plain CREATE INDEX.
"""

import django.db.models.functions.text
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("resident_requests", "0019_public_map_approval"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="residentrequest",
            index=models.Index(
                django.db.models.functions.text.Right("submitter_phone", 4),
                models.OrderBy(models.F("created_at"), descending=True),
                name="rr_phone_last4_idx",
            ),
        ),
    ]
