"""ResidentRequest.public_id: the id Open311 publishes instead of the tracking code.

Three migrations, so that every existing row gets its own random id (a plain AddField with a
callable default would give all rows one value) and the data migration runs apart from schema
changes (PostgreSQL): add the column empty (0012), fill it in batches (0013), then make it
required and unique (0014).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("resident_requests", "0011_category_deadline_basis"),
    ]

    operations = [
        migrations.AddField(
            model_name="residentrequest",
            name="public_id",
            field=models.CharField(
                editable=False, max_length=24, null=True, verbose_name="public id"
            ),
        ),
    ]
