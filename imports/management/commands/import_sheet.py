"""manage.py import_sheet <kind> <file> [--datum gcj02] [--dry-run] [--user name]"""

import sys
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ApplicationError
from grids.datum import Datum
from imports import services
from imports.resources import RESOURCES


class Progress:
    """A progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, stream, width: int = 30):
        self.stream, self.width, self.last = stream, width, 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        filled = int(self.width * done / max(total, 1))
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "Import a district's sheet (XLSX or CSV): " + ", ".join(RESOURCES)

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(RESOURCES))
        parser.add_argument("file")
        parser.add_argument("--datum", choices=Datum.values, default=Datum.WGS84)
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument("--user", help="import as this login, within its scope")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, kind, file, datum, dry_run, user, no_progress, **options):
        actor = None
        if user:
            try:
                actor = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"There is no login named {user!r}.") from None
        try:
            with open(file, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        started = time.monotonic()
        try:
            result = services.sheet_import_file(
                kind=kind,
                data=data,
                user=actor,
                datum=datum,
                dry_run=dry_run,
                file_name=file,
                progress=None if no_progress else Progress(sys.stderr),
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        elapsed = time.monotonic() - started
        counts = services.counts_of(result)
        for note in result.notes:
            self.stdout.write(note)
        for line, column, message in result.problems:
            where = " · ".join(p for p in (f"row {line}" if line else "", column) if p)
            self.stderr.write(f"{where}: {message}" if where else message)
        summary = (
            f"{counts.rows} rows: {counts.new} new, {counts.updated} changed, "
            f"{counts.unchanged} unchanged, {counts.failed} failing ({elapsed:.1f} s)"
        )
        if not services.result_ok(result):
            raise CommandError(f"{summary}. Nothing was imported.")
        if dry_run:
            self.stdout.write(f"{summary}. Dry run: nothing was written.")
        else:
            self.stdout.write(self.style.SUCCESS(f"{summary}. Imported."))
