"""manage.py export_sheet <kind> <file.xlsx|file.csv> [--user name]"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ApplicationError
from imports import services
from imports.resources import RESOURCES


class Command(BaseCommand):
    help = "Export a sheet in the columns import_sheet reads: " + ", ".join(RESOURCES)

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(RESOURCES))
        parser.add_argument("file", help="ends in .csv for CSV, else XLSX")
        parser.add_argument("--user", help="export as this login, within its scope")
        parser.add_argument(
            "--template", action="store_true", help="only the headers and an example row"
        )

    def handle(self, *args, kind, file, user, template, **options):
        fmt = "csv" if file.lower().endswith(".csv") else "xlsx"
        actor = None
        if user:
            try:
                actor = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"There is no login named {user!r}.") from None
        try:
            if template:
                data = services.sheet_template(kind=kind, fmt=fmt)
            else:
                data = services.sheet_export(kind=kind, user=actor, fmt=fmt)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        with open(file, "wb") as handle:
            handle.write(data)
        self.stdout.write(f"{file}: written.")
