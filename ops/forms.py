"""The staff login form: password, and a one-time code for staff who set up two-factor (TOTP).

The code is checked by core.two_factor, as on every other sign-in."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

from core import two_factor
from core.forms import CleanInputMixin


def user_has_otp_device(user) -> bool:
    return two_factor.has_device(user)


class StaffLoginForm(CleanInputMixin, AdminAuthenticationForm):
    otp_token = forms.CharField(
        label=_("One-time code"),
        required=False,
        max_length=16,
        help_text=_("Only if you set up two-factor login: the 6 digits your app shows."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "otp_required": _(
            "This account uses two-factor login: enter the 6-digit code from your app."
        ),
        "otp_invalid": _("The one-time code is wrong or has expired: enter the current code."),
    }

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is None:
            return cleaned
        if not two_factor.has_device(user):
            return cleaned  # the password alone for staff without a device
        token = two_factor.clean_code(cleaned.get("otp_token"))
        device = two_factor.device_for_code(user, token) if token else None
        if device is not None:
            # django_otp's user_logged_in receiver stores the device in the session.
            user.otp_device = device
            return cleaned
        # A missing or wrong code counts for the lockout like a wrong password (django-axes).
        two_factor.code_failed(self.request, username=user.get_username())
        code = "otp_invalid" if token else "otp_required"
        raise forms.ValidationError(self.error_messages[code], code=code)
