from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


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
