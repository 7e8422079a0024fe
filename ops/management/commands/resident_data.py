"""Export or erase one resident's personal data on their request, found by phone number.

    manage.py resident_data export 13812345678 [--output file.json] [--by staffname]
    manage.py resident_data erase 13812345678 [--include-open] [--by staffname]

Both are written to the audit log.
"""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ApplicationError
from ops.services import resident_data_erase, resident_data_export


class Command(BaseCommand):
    help = "Export or erase one resident's personal data (by phone number); both are audited."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "erase"])
        parser.add_argument("phone")
        parser.add_argument("--output", help="write the export to this file (default: stdout)")
        parser.add_argument(
            "--include-open",
            action="store_true",
            help="also erase requests that are still open (they can no longer be followed up)",
        )
        parser.add_argument("--by", help="login of the staff member acting on the resident's wish")

    def handle(self, *args, action, phone, output, include_open, by, **options):
        actor = None
        if by:
            actor = get_user_model().objects.filter(username=by).first()
            if actor is None:
                raise CommandError(f"No user with the login {by!r}.")
        try:
            if action == "export":
                data = resident_data_export(phone=phone, actor=actor)
                text = json.dumps(data, ensure_ascii=False, indent=2)
                if output:
                    with open(output, "w", encoding="utf-8") as handle:
                        handle.write(text + "\n")
                    self.stdout.write(f"Exported {len(data['requests'])} requests to {output}.")
                else:
                    self.stdout.write(text)
                return
            result = resident_data_erase(phone=phone, include_open=include_open, actor=actor)
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Erased: {result.requests} requests anonymized, {result.supporters} 'me too' "
                f"entries and {result.photos} photos removed, {result.notifications} "
                "notifications cleared."
            )
        )
