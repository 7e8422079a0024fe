"""Find broken MPTT left/right values in the organization tree; --fix rebuilds them."""

from django.core.management.base import BaseCommand, CommandError

from organization.selectors import tree_problems
from organization.services import tree_rebuild


class Command(BaseCommand):
    help = "Check the organization tree's MPTT values (and levels); --fix rebuilds the tree."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="rebuild the tree if it is broken")

    def handle(self, *args, fix, **options):
        problems = tree_problems()
        if not problems:
            self.stdout.write(self.style.SUCCESS("The organization tree is valid."))
            return
        for problem in problems[:50]:
            self.stdout.write(f"  {problem}")
        if not fix:
            raise CommandError(f"{len(problems)} problem(s) found; run with --fix to rebuild.")
        tree_rebuild()
        remaining = tree_problems()
        if remaining:
            raise CommandError(f"Rebuilt, but {len(remaining)} problem(s) remain.")
        self.stdout.write(self.style.SUCCESS("Rebuilt: the organization tree is valid."))
