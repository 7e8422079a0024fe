from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = _("Operations and audit")

    def ready(self):
        from core.audit import register_personal_data_recorder
        from organization.models import StaffRole
        from organization.roles import extend_role_permissions

        from . import receivers, services

        receivers.connect()
        # The apps below ops record displays of personal data through core.audit: here it is
        # written to the audit log.
        register_personal_data_recorder(services.audit_personal_data_display)
        # The organization department reads the audit log; nobody may change it.
        extend_role_permissions({StaffRole.ORG_DEPARTMENT: {"ops.auditevent": ["view"]}})
