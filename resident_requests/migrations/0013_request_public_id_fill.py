"""Every existing request gets its own random public id (in batches; see 0012)."""

import secrets

from django.db import migrations

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 14
BATCH = 2000


def _new_id() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def fill_public_ids(apps, schema_editor):
    ResidentRequest = apps.get_model("resident_requests", "ResidentRequest")
    rows = ResidentRequest.objects.filter(public_id__isnull=True).only("pk").order_by("pk")
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        for row in batch:
            row.public_id = _new_id()
        ResidentRequest.objects.bulk_update(batch, ["public_id"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("resident_requests", "0012_request_public_id"),
    ]

    operations = [
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop, elidable=True),
    ]
