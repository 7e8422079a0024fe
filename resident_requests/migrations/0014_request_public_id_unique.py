"""The public id is required and unique from now on (filled by 0013)."""

from django.db import migrations, models

import resident_requests.models


class Migration(migrations.Migration):
    dependencies = [
        ("resident_requests", "0013_request_public_id_fill"),
    ]

    operations = [
        migrations.AlterField(
            model_name="residentrequest",
            name="public_id",
            field=models.CharField(
                default=resident_requests.models.new_public_id,
                editable=False,
                max_length=24,
                unique=True,
                verbose_name="public id",
            ),
        ),
    ]
