"""The staff login form: password, and a one-time code for staff who set up two-factor (TOTP)."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user

from core.forms import CleanInputMixin


def user_has_otp_device(user) -> bool:
    return user.is_authenticated and any(devices_for_user(user, confirmed=True))


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
        devices = [d for d in devices_for_user(user, confirmed=True)]
        if not devices:
            return cleaned  # two-factor is optional: password alone for staff without a device
        token = (cleaned.get("otp_token") or "").strip().replace(" ", "")
        if not token:
            raise forms.ValidationError(self.error_messages["otp_required"], code="otp_required")
        for device in devices:
            allowed, _extra = device.verify_is_allowed()
            if allowed and device.verify_token(token):
                # django_otp's user_logged_in receiver stores the device in the session.
                user.otp_device = device
                return cleaned
        raise forms.ValidationError(self.error_messages["otp_invalid"], code="otp_invalid")
