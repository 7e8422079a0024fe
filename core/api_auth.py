"""The API's token authentication (kept apart from core.api: DRF imports it while it loads its
views, so this module imports nothing of DRF's views)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from core import two_factor


class TwoFactorTokenAuthentication(TokenAuthentication):
    """DRF's token, refused to a privileged user without a two-factor device while
    OTP_REQUIRED_FOR_PRIVILEGED is on (a token from before the setting: core.two_factor)."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if two_factor.setup_required_for(user):
            raise AuthenticationFailed(
                _("Set up two-factor sign-in first: %(url)s")
                % {"url": reverse("core:two_factor_setup")}
            )
        return user, token
