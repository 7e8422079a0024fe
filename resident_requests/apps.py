from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentRequestsConfig(AppConfig):
    name = "resident_requests"
    verbose_name = _("Resident requests")

    def ready(self):
        from notifications.selectors import request_scope_register

        # Importing selectors connects the receivers that drop the cached category picker when
        # a category changes.
        from . import messages, selectors

        # Who is told what is this app's: its templates join the outbox's.
        messages.templates_register()
        # The outbox's API shows a staff user the rows about the requests they may see.
        request_scope_register(lambda user: selectors.requests_visible_to(user).values("pk"))
