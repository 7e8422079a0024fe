from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = _("Operations and audit")

    def ready(self):
        from organization.models import StaffRole
        from organization.roles import extend_role_permissions

        from . import receivers

        receivers.connect()
        # The organization department reads the audit log; nobody may change it.
        extend_role_permissions({StaffRole.ORG_DEPARTMENT: {"ops.auditevent": ["view"]}})
