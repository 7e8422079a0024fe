from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartyWorkConfig(AppConfig):
    name = "party_work"
    verbose_name = _("Party members at work")

    def ready(self):
        from organization.roles import extend_role_permissions
        from resident_requests.dispatch_picker import register_dispatch_hints
        from resident_requests.teams import register_teams_for_request

        from . import dispatch_hints, outbox, roles, selectors

        extend_role_permissions(roles.ROLE_PERMISSIONS)
        outbox.register_templates()
        # Requests can be dispatched to volunteer teams: the requests app asks for them here.
        register_teams_for_request(selectors.teams_for_request)
        # The member picker shows claimed posts and the building's central household.
        register_dispatch_hints(dispatch_hints.annotate_members)
