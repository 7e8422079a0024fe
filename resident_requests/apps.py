from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentRequestsConfig(AppConfig):
    name = "resident_requests"
    verbose_name = _("Resident requests")

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save
        from mptt.signals import node_moved

        from core.signals import demo_loaded
        from grids.models import Grid
        from notifications.selectors import request_scope_register
        from organization.models import OrgUnit, Person, StaffScope

        # Importing selectors connects the receivers that drop the cached category picker when
        # a category changes.
        from . import messages, recipients, selectors

        # Each process keeps its grids' staff (recipients.grid_staff): any change to what they
        # are read from drops them everywhere (imports send demo_loaded after their bulk rows).
        for model in (Grid, OrgUnit, Person, StaffScope, get_user_model()):
            uid = f"rr-grid-staff-{model._meta.label_lower}"
            post_save.connect(recipients.grid_staff_changed, sender=model, dispatch_uid=uid)
            post_delete.connect(
                recipients.grid_staff_changed, sender=model, dispatch_uid=f"{uid}-delete"
            )
        node_moved.connect(recipients.grid_staff_changed, dispatch_uid="rr-grid-staff-moved")
        demo_loaded.connect(recipients.grid_staff_changed, dispatch_uid="rr-grid-staff-loaded")

        # Who is told what is this app's: its templates join the outbox's.
        messages.templates_register()
        # The outbox's API shows a staff user the rows about the requests they may see.
        request_scope_register(lambda user: selectors.requests_visible_to(user).values("pk"))
