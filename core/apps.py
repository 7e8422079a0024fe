from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _create_cache_table(sender, using, verbosity=1, **kwargs):
    """Without Redis the cache is a database table (settings, CACHES): `migrate` creates it too,
    so that `migrate` then `runserver` works as it did without one (it does nothing when the
    table exists or the cache is elsewhere)."""
    call_command("createcachetable", database=using, verbosity=verbosity)


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Portal")

    def ready(self):
        # Connects the receivers that tell every process the holiday calendar changed.
        # Each sign-in notes what its session needs for two-factor (core.two_factor).
        from django.contrib.auth.signals import user_logged_in

        from . import workdays  # noqa: F401
        from .two_factor import on_logged_in

        user_logged_in.connect(on_logged_in, dispatch_uid="core_two_factor_logged_in")
        post_migrate.connect(_create_cache_table, sender=self)
