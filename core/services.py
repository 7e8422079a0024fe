"""Writes that belong to no app above core: a user's own two-factor device (core.two_factor)."""

from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from core import two_factor
from core.exceptions import ApplicationError

SETUP_DEVICE_NAME = "phone"


def totp_device_start(*, user) -> TOTPDevice:
    """The device `user` is setting up: the unconfirmed one from before (the secret they may
    already have scanned), or a new one with a fresh random key."""
    device = (
        TOTPDevice.objects.filter(user=user, confirmed=False, name=SETUP_DEVICE_NAME)
        .order_by("-pk")
        .first()
    )
    if device is None:
        device = TOTPDevice(user=user, name=SETUP_DEVICE_NAME, confirmed=False)
        device.full_clean()
        device.save()
    return device


def totp_device_confirm(*, user, code: str) -> TOTPDevice:
    """Confirm the device `user` is setting up with a code it shows. From now on every sign-in
    asks for a code; API tokens issued on the password alone are revoked.

    A wrong code raises ApplicationError and counts for django-otp's slowdown of the device
    (written outside a transaction, so that the failure stays recorded)."""
    device = (
        TOTPDevice.objects.filter(user=user, confirmed=False, name=SETUP_DEVICE_NAME)
        .order_by("-pk")
        .first()
    )
    if device is None:
        raise ApplicationError(_("Start again: open this page to get a new secret."))
    code = two_factor.clean_code(code)
    if not code.isdigit() or not device.verify_token(code):
        raise ApplicationError(
            _("The code is wrong or has expired: enter the 6 digits your app shows now.")
        )
    with transaction.atomic():
        device.confirmed = True
        device.full_clean()
        device.save()
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        Token.objects.filter(user=user).delete()
    return device
