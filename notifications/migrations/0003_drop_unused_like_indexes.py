"""The outbox's two LIKE indexes, dropped (PostgreSQL): the idempotency key and the template key
are only ever compared whole (the admin's search on them is a LIKE '%…%', which no index
serves). Each cost a write on every message written.
"""

from django.db import migrations

from core.migration_operations import DropPatternIndexes


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("notifications", "0002_inbox"),
    ]

    operations = [
        DropPatternIndexes(
            model_name="notification", fields=["idempotency_key", "template_key"]
        ),
    ]
