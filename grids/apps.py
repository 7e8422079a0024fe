from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("Grids and stations")

    def ready(self):
        # The OpenAPI descriptions of the plain API views register themselves when loaded.
        from . import api_schema  # noqa: F401
