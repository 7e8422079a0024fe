from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentRequestsConfig(AppConfig):
    name = "resident_requests"
    verbose_name = _("Resident requests")

    def ready(self):
        # The receivers that drop the cached category picker when a category changes.
        from . import selectors  # noqa: F401
