"""Bulk-generate resident requests at scale for benchmarks (PostgreSQL only).

    python manage.py seed_scale --requests 1000000

Rows are made inside PostgreSQL by INSERT … SELECT over generate_series, in batches, spread over
every building of the demo district, every leaf category and the past year, in realistic
proportions of states and levels: a request is still in hand (open, or resolved and not yet
rated) with the chance 0.9·e^(−days/5) + 0.005, so about 1.7 % of a year's are, most of them
from the last week, a working district's backlog (drawn regardless of age, a quarter were).
Needs `load_demo` first (buildings and categories). Adds to what is there; timelines are not
generated (the lists and dashboards read the requests' own columns). A load of 200,000 or more
drops the table's secondary indexes, unique constraints and foreign keys and adds them back at
the end (checked then): run it on a benchmark's database, not beside a working portal.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction

from grids.models import Building
from resident_requests.models import Category, ResidentRequest

BATCH = 100_000

# One INSERT … SELECT per batch (%(…)s are query parameters): each row picks a building by a
# random row number and a category from the (short) array of leaf categories, uniformly.
INSERT_SQL = """
WITH b AS (
    SELECT row_number() OVER (ORDER BY id) AS n, id, grid_id, address FROM grids_building
), nb AS (
    SELECT count(*) AS n FROM grids_building
), c AS (
    SELECT array_agg(id ORDER BY id) AS ids FROM resident_requests_category
    WHERE parent_id IS NOT NULL
), picks AS (
    SELECT g,
           1 + floor(random() * nb.n)::bigint AS bi,
           c.ids[1 + floor(random() * cardinality(c.ids))::int] AS category_id,
           random() AS r_age,
           random() AS r_status, random() AS r_level, random() AS r_more, random() AS r_kind
    FROM generate_series(1, %(count)s) AS g, nb, c
), rows AS (
    SELECT picks.*, now() - r_age * interval '365 days' AS created,
           b.id AS building_id, b.grid_id, b.address
    FROM picks JOIN b ON b.n = picks.bi
), shaped AS (
    SELECT *,
           -- Still in hand (open, or resolved and waiting for the resident's rating): most of
           -- the last days' requests, few of the last month's, a stuck one in two hundred of
           -- the older ones (432,000 s: five days). The rest were closed, rejected or merged.
           CASE
               WHEN r_status < 0.9 * exp(-73 * r_age) + 0.005
               THEN CASE
                   WHEN r_kind < 0.20 THEN 'submitted'
                   WHEN r_kind < 0.40 THEN 'accepted'
                   WHEN r_kind < 0.56 THEN 'dispatched'
                   WHEN r_kind < 0.72 THEN 'taken'
                   ELSE 'resolved'
               END
               WHEN r_kind < 0.067 THEN 'rejected'
               WHEN r_kind < 0.107 THEN 'merged'
               ELSE 'closed'
           END AS status,
           CASE
               WHEN r_level < 0.70 THEN 'grid'
               WHEN r_level < 0.88 THEN 'community'
               WHEN r_level < 0.96 THEN 'street'
               ELSE 'department'
           END AS level
    FROM rows
)
INSERT INTO resident_requests_residentrequest (
    code, public_id, request_type, public_allowed, progress_sms, access_token, channel, submitter_name, submitter_phone, building_id, grid_id, address,
    category_id, description, status, level, accept_deadline, resolve_deadline, overdue,
    accepted_at, resolved_at, closed_at, resolution_note, reject_reason, supporters_count,
    reopened_count, rating, rating_comment, rated_at, rated_count, satisfied_count, created_at,
    updated_at
)
SELECT
    'JK-' || to_char(created, 'YYYYMMDD') || '-Z'
        || lpad(upper(to_hex(%(start)s + g)), 8, '0'),
    upper(substr(md5(random()::text || %(salt)s || g::text), 1, 16)),
    'help', false, true,
    md5(random()::text || g::text) || md5(random()::text || %(salt)s),
    (ARRAY['web', 'web', 'web', 'walk_in', 'patrol', 'phone', 'reception_day'])[1 + (g %% 7)],
    (ARRAY['王', '李', '张', '刘', '陈', '杨', '赵', '黄'])[1 + (g %% 8)] || '女士',
    '13' || lpad((floor(random() * 1000000000))::bigint::text, 9, '0'),
    building_id, grid_id, address, category_id,
    '规模测试数据：' || address,
    status, level,
    created + interval '24 hours',
    CASE WHEN status NOT IN ('submitted', 'rejected', 'merged')
         THEN created + interval '96 hours' END,
    status IN ('submitted', 'accepted', 'dispatched', 'taken') AND created < now() - interval '4 days',
    CASE WHEN status NOT IN ('submitted', 'rejected', 'merged')
         THEN created + r_more * interval '20 hours' END,
    CASE WHEN status IN ('resolved', 'closed') THEN created + interval '20 hours'
         + r_more * interval '80 hours' END,
    CASE WHEN status IN ('closed', 'rejected', 'merged') THEN created + interval '5 days' END,
    CASE WHEN status IN ('resolved', 'closed') THEN '已处理' ELSE '' END,
    CASE WHEN status = 'rejected' THEN '不属于受理范围' ELSE '' END,
    (r_more * r_more * 4)::int,
    0,
    CASE WHEN status = 'closed' AND r_more < 0.75 THEN 'satisfied'
         WHEN status = 'closed' AND r_more < 0.90 THEN 'basically_satisfied'
         WHEN status = 'closed' AND r_more < 0.95 THEN 'dissatisfied'
         ELSE '' END,
    '',
    CASE WHEN status = 'closed' AND r_more < 0.95 THEN created + interval '5 days' END,
    CASE WHEN status = 'closed' AND r_more < 0.95 THEN 1 ELSE 0 END,
    CASE WHEN status = 'closed' AND r_more < 0.90 THEN 1 ELSE 0 END,
    created, created
FROM shaped
"""


DROP_INDEXES_FROM = 200_000
TABLE = "resident_requests_residentrequest"


class Command(BaseCommand):
    help = "Bulk-generate resident requests on PostgreSQL (e.g. --requests 1000000) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=1_000_000)
        parser.add_argument(
            "--total",
            action="store_true",
            help="Treat --requests as the total wanted: add only what is missing.",
        )

    def handle(self, *args, requests, total, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale needs PostgreSQL: set DATABASE_URL=postgres://…")
        if not Building.objects.exists() or not Category.objects.filter(parent__isnull=False):
            raise CommandError("No buildings or categories: run `manage.py load_demo` first.")
        if total:
            requests = max(0, requests - ResidentRequest.objects.count())
        started = time.monotonic()
        # Big loads: drop the secondary indexes, the unique constraints and the foreign keys,
        # and build them once at the end: much faster than updating a dozen indexes row by row
        # (the unique ones on random tokens, at random places in trees larger than PostgreSQL's
        # buffers) and queueing seven foreign-key checks per row. The rows' keys are unique
        # and their buildings, grids and categories exist by construction; adding the
        # constraints back checks both.
        dropped = ([], [])
        if requests >= DROP_INDEXES_FROM:
            with transaction.atomic():  # all of them dropped, or none
                dropped = (self._drop_constraints(), self._drop_indexes())
        # Tracking codes numbered on from the rows already there: unique by construction (random
        # ones collide at millions of rows a year). The "Z" keeps them apart from random codes
        # (hexadecimal: earlier seeds) and from the portal's (new_tracking_code).
        start = ResidentRequest.objects.count()
        done = 0
        try:
            while done < requests:
                count = min(BATCH, requests - done)
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
                    cursor.execute(
                        INSERT_SQL,
                        {"count": count, "salt": f"{time.time_ns()}", "start": start + done},
                    )
                done += count
                self._progress(done, requests, time.monotonic() - started)
        finally:
            self._restore(*dropped)
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {done:,} requests in {time.monotonic() - started:.1f} s "
                f"({ResidentRequest.objects.count():,} in all)."
            )
        )

    def _restore(self, constraints, indexes) -> None:
        """Add back what was dropped, each timed, then VACUUM ANALYZE. Every one is tried: a
        constraint the rows break (a duplicate) is named with its definition, not left unseen."""
        failed = []
        with connection.cursor() as cursor:
            # Index builds sort: more memory and both cores' workers make them faster.
            cursor.execute("SET maintenance_work_mem = '512MB'")
            cursor.execute("SET max_parallel_maintenance_workers = 2")
            steps = [
                ("constraint", name, f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}')
                for name, definition in constraints
            ] + [("index", name, definition) for name, definition in indexes]
            for number, (kind, name, statement) in enumerate(steps, 1):
                step_started = time.monotonic()
                try:
                    with transaction.atomic():
                        cursor.execute(statement)
                except DatabaseError as error:
                    failed.append(f"{statement}: {error}".strip())
                    continue
                self.stdout.write(
                    f"  {kind} {number}/{len(steps)} {name}: "
                    f"{time.monotonic() - step_started:.1f} s"
                )
            # VACUUM sets the visibility map, so the list's page ids and capped counts come
            # from index-only scans straight away (autovacuum would get there later).
            vacuum_started = time.monotonic()
            cursor.execute(f"VACUUM ANALYZE {TABLE}")
            self.stdout.write(f"  VACUUM ANALYZE: {time.monotonic() - vacuum_started:.1f} s")
        if failed:
            raise CommandError(
                "Could not add back (run these once the rows are fixed):\n" + "\n".join(failed)
            )

    def _progress(self, done: int, wanted: int, seconds: float) -> None:
        """A progress bar, the rate and the time left: one line per batch (a log keeps them)."""
        share = done / wanted
        width = 30
        bar = "#" * round(share * width) + "-" * (width - round(share * width))
        rate = done / max(seconds, 1e-6)
        left = (wanted - done) / rate if rate else 0
        self.stdout.write(
            f"  [{bar}] {share:6.1%}  {done:,} / {wanted:,} requests  {rate:,.0f}/s  "
            f"{seconds:,.0f} s, about {left:,.0f} s left"
        )

    def _drop_constraints(self) -> list[tuple[str, str]]:
        """Drop the table's unique constraints and foreign keys (not the primary key, which
        other tables reference, nor the CHECKs, which cost nothing) and return their names and
        definitions, unique ones first: the foreign keys are checked against the keys."""
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                WHERE conrelid = %s::regclass AND contype IN ('u', 'f')
                ORDER BY contype DESC, conname
                """,
                [TABLE],
            )
            constraints = cursor.fetchall()
            for name, _definition in constraints:
                cursor.execute(f'ALTER TABLE {TABLE} DROP CONSTRAINT "{name}"')
        return constraints

    def _drop_indexes(self) -> list[tuple[str, str]]:
        """Drop the table's plain indexes (not the primary key or unique constraints) and
        return their names and definitions to build them again."""
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT i.indexname, i.indexdef FROM pg_indexes i
                WHERE i.tablename = %s AND NOT EXISTS (
                    SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname
                )
                """,
                [TABLE],
            )
            indexes = cursor.fetchall()
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        return indexes
