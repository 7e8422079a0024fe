from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from organization.models import StaffRole
        from organization.roles import extend_role_permissions

        from . import services, tasks

        # The services publish the send task; the tasks module imports the services.
        services.register_send_task(tasks.send_notifications)

        # The district's organization department watches the outbox and sends failed rows
        # again; nobody else needs it (rows name residents' numbers, masked in the admin).
        extend_role_permissions(
            {StaffRole.ORG_DEPARTMENT: {"notifications.notification": ["view", "change"]}}
        )
