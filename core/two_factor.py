"""Two-factor sign-in (django-otp, TOTP): the one place every sign-in path asks.

A user with a confirmed TOTP device gives a one-time code on top of the password wherever they
sign in: the admin's login form (ops.forms), the member and to-do sign-in (a second page after
the password, core.views.two_factor_code), the API token (organization.api.TokenView, an `otp`
field). A wrong code counts as a failed login for django-axes' lockout, like a wrong password.

A session made without the code (Django's login() called elsewhere, a test client's
force_login) does not count as signed in for a user with a device: TwoFactorMiddleware shows
such a user as anonymous. With OTP_REQUIRED_FOR_PRIVILEGED on, privileged users (superusers and
the roles other apps register, e.g. the organization department) must set up a device before
any page opens for them (core.views.two_factor_setup).

What a session needs is worked out when it signs in (one query for the devices, one for the
roles) and kept in the session, so that ordinary pages cost no query for it.
"""

import time
from collections.abc import Callable

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import signals as auth_signals
from django.contrib.auth.models import AnonymousUser
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import devices_for_user

# The user who gave the right password and still owes the code: {"uid", "username",
# "backend", "next", "heading", "login", "at"}. Nobody is signed in while this is all there is.
PENDING_KEY = "two_factor_pending"
PENDING_SECONDS = 5 * 60
# What this session's user needs: {"uid", "device", "privileged"}.
STATE_KEY = "two_factor_state"

_privileged_checks: list[Callable] = []


def register_privileged(check: Callable) -> None:
    """Apps above core add who counts as privileged (a user → bool), at startup."""
    if check not in _privileged_checks:
        _privileged_checks.append(check)


def is_privileged(user) -> bool:
    """Superusers, and the roles registered with register_privileged: they see full personal
    data, so OTP_REQUIRED_FOR_PRIVILEGED makes them set up a device."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or any(check(user) for check in _privileged_checks)


def confirmed_devices(user) -> list:
    return list(devices_for_user(user, confirmed=True)) if user.is_authenticated else []


def has_device(user) -> bool:
    return bool(confirmed_devices(user))


def clean_code(code) -> str:
    return str(code or "").strip().replace(" ", "")


def device_for_code(user, code) -> object | None:
    """The confirmed device that accepts `code` now, or None (django-otp also slows down a
    device after wrong codes)."""
    code = clean_code(code)
    if not code.isdigit() or len(code) > 8:
        return None
    for device in confirmed_devices(user):
        allowed, _extra = device.verify_is_allowed()
        if allowed and device.verify_token(code):
            return device
    return None


def code_failed(request, *, username: str) -> None:
    """A wrong or missing one-time code after a right password: a failed login, counted by
    django-axes' lockout (per login and address) and written to the audit log."""
    auth_signals.user_login_failed.send(
        sender=__name__, credentials={"username": username}, request=request
    )


def is_locked_out(request, *, username: str) -> bool:
    return getattr(settings, "AXES_ENABLED", True) and AxesProxyHandler.is_locked(
        request, {"username": username}
    )


# --- The session ------------------------------------------------------------------------------


def state_for(user) -> dict:
    return {"uid": user.pk, "device": has_device(user), "privileged": is_privileged(user)}


def session_state(request, user) -> dict:
    """What the signed-in `user` of this session needs (kept in the session since sign-in)."""
    state = request.session.get(STATE_KEY)
    if not isinstance(state, dict) or state.get("uid") != user.pk:
        state = state_for(user)
        request.session[STATE_KEY] = state
    return state


def session_state_refresh(request, user) -> None:
    request.session[STATE_KEY] = state_for(user)


def on_logged_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session.pop(PENDING_KEY, None)
        session_state_refresh(request, user)


def verified_user(request, user):
    """`user`, or AnonymousUser if they have a device and this session skipped the code."""
    if not user.is_authenticated:
        return user
    if session_state(request, user)["device"] and not user.is_verified():
        return AnonymousUser()
    return user


def setup_required(request, user) -> bool:
    """A privileged user without a device, while OTP_REQUIRED_FOR_PRIVILEGED is on."""
    if not settings.OTP_REQUIRED_FOR_PRIVILEGED or not user.is_authenticated:
        return False
    state = session_state(request, user)
    return state["privileged"] and not state["device"]


def setup_required_for(user) -> bool:
    """The same without a session (an API token)."""
    return settings.OTP_REQUIRED_FOR_PRIVILEGED and is_privileged(user) and not has_device(user)


# --- The second step of a sign-in -------------------------------------------------------------


def pending_start(request, *, user, next_url: str, heading: str = "") -> None:
    request.session[PENDING_KEY] = {
        "uid": user.pk,
        "username": user.get_username(),
        "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1]),
        "next": next_url,
        "heading": str(heading),
        "login": request.path,
        "at": time.time(),
    }


def pending_get(request) -> dict | None:
    """The half-finished sign-in of this session, if it is recent; an old one is dropped."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    if time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    return pending


def pending_end(request) -> None:
    request.session.pop(PENDING_KEY, None)


def pending_login_url(request) -> str:
    """Where the half-finished (or expired) sign-in started: to start it again."""
    pending = request.session.get(PENDING_KEY)
    login = pending.get("login", "") if isinstance(pending, dict) else ""
    return safe_next(request, login, str(resolve_url(settings.LOGIN_URL)))


def safe_next(request, url: str, default: str = "/") -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default
