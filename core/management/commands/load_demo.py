"""Build a Jingkou-like district with the figures the district publishes (../shared/DOMAIN.md).

Each installed app that has a `demo` module with `load(ctx)` adds its part, in INSTALLED_APPS
order. Every part is deterministic (seeded random numbers) and skips itself when its data is
already there, so a second run changes nothing.
"""

import importlib
import importlib.util
import random
import time

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from core.signals import demo_loaded

DEMO_SEED = 20220429  # the day the report was published


class DemoContext:
    def __init__(self, command: BaseCommand, seed: int):
        self.command = command
        self.seed = seed
        self.logins: list[tuple[str, str, str]] = []  # (username, password, what it shows)

    def rng(self, part: str) -> random.Random:
        """A random generator per part, so one part's changes do not shift another's data."""
        return random.Random(f"{self.seed}:{part}")

    def progress(self, message: str) -> None:
        self.command.stdout.write(f"  {message}")
        self.command.stdout.flush()

    def add_login(self, username: str, password: str, description: str) -> None:
        self.logins.append((username, password, description))


class Command(BaseCommand):
    help = "Load the deterministic Jingkou demo data (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=DEMO_SEED)

    def handle(self, *args, seed, **options):
        ctx = DemoContext(self, seed)
        started = time.monotonic()
        for app_config in apps.get_app_configs():
            module_name = f"{app_config.name}.demo"
            if importlib.util.find_spec(module_name) is None:
                continue
            module = importlib.import_module(module_name)
            self.stdout.write(self.style.MIGRATE_HEADING(f"{app_config.verbose_name}:"))
            part_started = time.monotonic()
            with transaction.atomic():
                module.load(ctx)
            ctx.progress(f"done in {time.monotonic() - part_started:.1f} s")
        # Demo rows are bulk-inserted, which sends no post_save: say once that figures kept in
        # the cache (the dashboards' organization figures) are stale.
        demo_loaded.send(sender=self.__class__)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f} s.")
        )
        if ctx.logins:
            self.stdout.write("Demo logins (http://127.0.0.1:8000/admin/):")
            for username, password, description in ctx.logins:
                self.stdout.write(f"  {username:<16} {password:<20} {description}")
