from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Portal")

    def ready(self):
        # Connects the receivers that tell every process the holiday calendar changed.
        from . import workdays  # noqa: F401
