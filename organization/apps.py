from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationConfig(AppConfig):
    name = "organization"
    verbose_name = _("Party organization")

    def ready(self):
        # The organization department sees residents' full personal data: with
        # OTP_REQUIRED_FOR_PRIVILEGED it must set up two-factor sign-in (core.two_factor).
        from core.two_factor import register_privileged

        from .selectors import is_organization_department

        register_privileged(is_organization_department)
