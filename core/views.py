"""The home page: where residents start; and the two-factor pages every sign-in shares."""

from base64 import b32encode

from axes.helpers import get_lockout_response
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login

from core import forms as core_forms
from core import services, two_factor
from core.exceptions import ApplicationError


def home(request):
    return render(request, "core/home.html")


def favicon(request):
    return redirect(static("favicon.svg"), permanent=True)


# --- Two-factor sign-in (core.two_factor) -----------------------------------------------------


class CodeForm(core_forms.Form):
    otp_token = forms.CharField(
        label=gettext_lazy("One-time code"),
        max_length=16,
        help_text=gettext_lazy("The 6 digits your authenticator app shows now."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
    )


class TwoStepLoginMixin:
    """For a django.contrib.auth LoginView: a user with a two-factor device is not signed in
    by the password; the code page (two_factor_code) finishes the sign-in."""

    def form_valid(self, form):
        user = form.get_user()
        if two_factor.has_device(user):
            two_factor.pending_start(
                self.request,
                user=user,
                next_url=self.get_success_url(),
                heading=(self.extra_context or {}).get("heading", ""),
            )
            return redirect("core:two_factor_code")
        return super().form_valid(form)


@never_cache
def two_factor_code(request):
    """The second step of a sign-in: the one-time code of the user whose password was right.

    Nobody is signed in until the code is right. Wrong codes count for the lockout as wrong
    passwords do (django-axes turns the response into its lockout page when the limit is hit).
    """
    login_url = two_factor.pending_login_url(request)
    pending = two_factor.pending_get(request)
    if pending is None:
        messages.info(request, _("Your sign-in has expired: enter your password again."))
        return redirect(login_url)
    username = pending["username"]
    user = get_user_model()._default_manager.filter(pk=pending["uid"], is_active=True).first()
    if user is None:
        two_factor.pending_end(request)
        return redirect(login_url)
    credentials = {"username": username}
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if two_factor.is_locked_out(request, username=username):
            two_factor.pending_end(request)
            return get_lockout_response(request, None, credentials)
        if form.is_valid():
            device = two_factor.device_for_code(user, form.cleaned_data["otp_token"])
            if device is not None:
                two_factor.pending_end(request)
                user.otp_device = device  # django_otp's login receiver keeps it in the session
                auth_login(request, user, backend=pending["backend"])
                return redirect(two_factor.safe_next(request, pending["next"]))
            form.add_error(
                "otp_token", _("The one-time code is wrong or has expired: enter the current code.")
            )
        two_factor.code_failed(request, username=username)
    return render(
        request,
        "core/two_factor_code.html",
        {"form": form, "heading": pending.get("heading") or _("Sign in")},
    )


@never_cache
@login_required
def two_factor_setup(request):
    """Set up two-factor sign-in for yourself: add the secret to an authenticator app, then
    confirm with the code it shows. No QR library is installed: the otpauth:// link (which a
    phone opens in its authenticator app) and the secret to type in."""
    user = request.user
    next_url = two_factor.safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if two_factor.has_device(user):
        return render(request, "core/two_factor_setup.html", {"done": True, "next": next_url})
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.totp_device_confirm(user=user, code=form.cleaned_data["otp_token"])
        except ApplicationError as error:
            form.add_error("otp_token", error.message)
        else:
            otp_login(request, device)  # this session has now passed the second factor
            two_factor.session_state_refresh(request, user)
            messages.success(request, _("Two-factor sign-in is set up."))
            return redirect(next_url)
    device = services.totp_device_start(user=user)
    return render(
        request,
        "core/two_factor_setup.html",
        {
            "form": form,
            "next": next_url,
            "required": two_factor.setup_required(request, user),
            "config_url": device.config_url,
            "secret": b32encode(device.bin_key).decode(),
        },
    )
