"""`manage.py seed_scale` fills PostgreSQL for the benchmarks (issue 15): every column a request
needs, the states in their proportions, a progress bar, and the table's indexes exactly as
before when it drops them for a big load. It broke once unseen, when migrations added NOT NULL
columns it did not fill."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import ProgrammingError, connection
from django.utils import timezone

from resident_requests.management.commands import seed_scale
from resident_requests.models import OPEN_STATUSES, ResidentRequest, Status

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def indexes() -> set[tuple]:
    """The table's indexes: name, key and included columns, unique or not, partial or not.
    (Their definitions' text may differ after a rebuild: PostgreSQL prints a re-parsed
    predicate's casts another way.)"""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, i.indkey::text, i.indnkeyatts, i.indisunique, i.indpred IS NULL
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = %s::regclass
            """,
            [seed_scale.TABLE],
        )
        return set(cursor.fetchall())


def constraints() -> set[tuple]:
    """The table's constraints: name, kind and definition."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass",
            [seed_scale.TABLE],
        )
        return set(cursor.fetchall())


def test_it_adds_whole_requests_with_a_progress_bar_and_keeps_the_indexes(w, monkeypatch):
    monkeypatch.setattr(seed_scale, "BATCH", 250)
    monkeypatch.setattr(seed_scale, "DROP_INDEXES_FROM", 400)  # this load drops and rebuilds
    before_indexes = indexes()
    before_constraints = constraints()
    before = ResidentRequest.objects.count()
    out = io.StringIO()
    call_command("seed_scale", requests=600, stdout=out)
    assert ResidentRequest.objects.count() == before + 600
    lines = out.getvalue().splitlines()
    assert any("[" + "#" * 30 + "] 100.0%" in line for line in lines)
    assert any("250 / 600 requests" in line and "left" in line for line in lines)
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint")
        names = {name for (name,) in cursor.fetchall()}
    plain = [row[0] for row in before_indexes if row[0] not in names]
    assert len(plain) >= 10  # the dashboards' and lists' indexes
    assert sum(" index " in line for line in lines) == len(plain)  # each rebuilt, timed
    assert indexes() == before_indexes
    # The unique constraints and foreign keys were dropped for the load and are back as they
    # were, each timed; the primary key and the CHECKs stayed.
    added_back = [line for line in lines if " constraint " in line]
    kinds = [kind for _name, kind, _definition in before_constraints]
    assert len(added_back) == kinds.count("u") + kinds.count("f") >= 10
    assert any("resident_requests_residentrequest_access_token_key" in x for x in added_back)
    assert any("_fk_grids_bui" in line for line in added_back)
    assert constraints() == before_constraints
    # Rows the portal can show: codes, tokens, a place, a state and its dates.
    seeded = ResidentRequest.objects.exclude(description="").filter(
        description__startswith="规模测试数据"
    )
    assert seeded.count() == 600
    assert not seeded.filter(code="").exists() and not seeded.filter(public_id="").exists()
    assert seeded.values("status").distinct().count() >= 5
    assert not seeded.filter(status="closed", closed_at__isnull=True).exists()
    sample = seeded.first()
    assert sample.building.grid_id == sample.grid_id


def test_total_adds_only_what_is_missing(w):
    out = io.StringIO()
    call_command(
        "seed_scale", requests=ResidentRequest.objects.count() + 50, total=True, stdout=out
    )
    call_command("seed_scale", requests=ResidentRequest.objects.count(), total=True, stdout=out)
    assert ResidentRequest.objects.filter(description__startswith="规模测试数据").count() == 50


def test_tracking_codes_never_collide_however_many_are_seeded(w, monkeypatch):
    """Ten million random 9-hexadecimal-digit codes over a year collide (the birthday bound of
    36 bits a day): a 10M seed once stopped on a duplicate. The codes are numbered instead, on
    from the rows already there, and kept apart from the portal's own by their "Z"."""
    monkeypatch.setattr(seed_scale, "BATCH", 100)
    for _ in range(3):
        call_command("seed_scale", requests=150, stdout=io.StringIO())
    codes = list(
        ResidentRequest.objects.filter(description__startswith="规模测试数据").values_list(
            "code", flat=True
        )
    )
    assert len(codes) == 450
    suffixes = {code.split("-")[2] for code in codes}
    assert len(suffixes) == 450  # unique even without the day in front
    assert all(len(suffix) == 9 and suffix.startswith("Z") for suffix in suffixes)


def test_the_backlog_is_a_working_districts(w):
    """Requests still in hand are mostly recent ones, as in a district that finishes its work:
    about 1.7 % of a year's, not a quarter of them whatever their age."""
    with connection.cursor() as cursor:  # the same draws on every run: no flaky proportions
        cursor.execute("SELECT setseed(0.15)")
    call_command("seed_scale", requests=4000, stdout=io.StringIO())
    seeded = ResidentRequest.objects.filter(description__startswith="规模测试数据")
    in_hand = seeded.filter(status__in=[*OPEN_STATUSES, Status.RESOLVED])
    now = timezone.now()
    recent = seeded.filter(created_at__gt=now - datetime.timedelta(days=5))
    old = seeded.filter(created_at__lt=now - datetime.timedelta(days=60))
    assert recent.count() >= 30 and old.count() >= 3000
    # e^(-age/5) averages 0.63 over five days: 0.57 + 0.005 of them in hand; at 60 days, 0.005.
    assert in_hand.filter(pk__in=recent).count() > 0.35 * recent.count()
    assert in_hand.filter(pk__in=old).count() < 0.02 * old.count()
    assert in_hand.count() < 0.05 * seeded.count()
    # Each state still appears: the lists and dashboards have every kind of row to show.
    assert set(seeded.values_list("status", flat=True)) >= {
        "submitted", "accepted", "dispatched", "taken", "resolved", "closed", "rejected", "merged"
    }  # fmt: skip


def test_a_constraint_the_rows_break_is_named_and_the_rest_are_added_back(w, monkeypatch):
    """The unique constraints are off during a big load and checked when added back: rows that
    break one (here every row has the same access token) stop the command with the statement
    to run once they are fixed, and every other constraint and index is back."""
    monkeypatch.setattr(seed_scale, "BATCH", 250)
    monkeypatch.setattr(seed_scale, "DROP_INDEXES_FROM", 400)
    monkeypatch.setattr(
        seed_scale,
        "INSERT_SQL",
        seed_scale.INSERT_SQL.replace(
            "md5(random()::text || g::text) || md5(random()::text || %(salt)s)",
            "repeat('0', 64)",
        ),
    )
    before_indexes, before_constraints = indexes(), constraints()
    name = "resident_requests_residentrequest_access_token_key"
    try:
        with pytest.raises(CommandError) as raised:
            call_command("seed_scale", requests=500, stdout=io.StringIO())
        assert f'ADD CONSTRAINT "{name}" UNIQUE (access_token)' in str(raised.value)
        assert "could not create unique index" in str(raised.value)
        missing = {row for row in before_constraints if row[0] == name}
        assert constraints() == before_constraints - missing
        assert {row for row in indexes() if row[0] != name} == {
            row for row in before_indexes if row[0] != name
        }
    finally:  # the schema outlives the test's rows: put the constraint back for the others
        ResidentRequest.objects.filter(description__startswith="规模测试数据").delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"ALTER TABLE {seed_scale.TABLE} ADD CONSTRAINT {name} UNIQUE (access_token)"
            )
    assert constraints() == before_constraints


def test_a_load_that_fails_halfway_leaves_the_table_as_it_was_but_for_the_rows_stored(
    w, monkeypatch
):
    """The second batch fails (a column the table lacks): the first batch's rows stay, and every
    index and constraint dropped for the load is back before the error reaches the operator."""
    monkeypatch.setattr(seed_scale, "BATCH", 250)
    monkeypatch.setattr(seed_scale, "DROP_INDEXES_FROM", 400)
    progress = seed_scale.Command._progress

    def break_the_next_batch(self, *args):
        progress(self, *args)
        broken = seed_scale.INSERT_SQL.replace("supporters_count", "no_such_column")
        monkeypatch.setattr(seed_scale, "INSERT_SQL", broken)

    monkeypatch.setattr(seed_scale.Command, "_progress", break_the_next_batch)
    before_indexes, before_constraints = indexes(), constraints()
    out = io.StringIO()
    with pytest.raises(ProgrammingError, match="no_such_column"):
        call_command("seed_scale", requests=500, stdout=out)
    assert ResidentRequest.objects.filter(description__startswith="规模测试数据").count() == 250
    assert "constraint" in out.getvalue() and "VACUUM ANALYZE" in out.getvalue()
    assert indexes() == before_indexes
    assert constraints() == before_constraints
