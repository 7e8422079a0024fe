"""Four LIKE indexes of the requests table that no query reads, dropped (PostgreSQL).

Django builds a varchar_pattern_ops index beside the ordinary one of every unique or indexed
CharField. The access token, the form token and the public id are only ever compared whole, and
the phone whole or by its last four digits (rr_phone_last4_idx): their `_like` indexes cost a
write on every submission and a copy of the column at ten million rows, for nothing. The
tracking code keeps its own (the admin's search by a code's beginning reads it).
"""

from django.db import migrations

from core.migration_operations import DropPatternIndexes


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("resident_requests", "0021_tracking_code_default"),
    ]

    operations = [
        DropPatternIndexes(
            model_name="residentrequest",
            fields=["access_token", "submission_token", "public_id", "submitter_phone"],
        ),
    ]
