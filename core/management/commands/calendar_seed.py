"""Fill the holiday calendar from the chinese-calendar library (safe to run again)."""

from django.core.management.base import BaseCommand

from core.workdays import calendar_seed, library_years


class Command(BaseCommand):
    help = (
        "Add the public holidays and 调休 working days the chinese-calendar library knows to the "
        "calendar; days already there are left as they are. Later years: enter them in the admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", type=int, help="only from this year on")

    def handle(self, *args, since=None, **options):
        first, last = library_years()
        added = calendar_seed(since=since)
        self.stdout.write(
            f"calendar: {added} days added; the library covers {first}–{last}, "
            f"enter later years in the admin."
        )
