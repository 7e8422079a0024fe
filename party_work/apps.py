from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartyWorkConfig(AppConfig):
    name = "party_work"
    verbose_name = _("Party members at work")

    def ready(self):
        from organization.roles import extend_role_permissions

        from . import outbox, roles

        extend_role_permissions(roles.ROLE_PERMISSIONS)
        outbox.register_templates()
