"""Language selection, and two-factor sign-in on every page.

Language: Chinese unless the visitor chose English.

Django's LocaleMiddleware would follow the browser's Accept-Language, so a phone set to English
would get English pages without asking. The portal speaks zh-hans by default; the language
switch (Django's set_language view) stores a choice in the language cookie, and only that
choice changes it.
"""

from contextlib import suppress
from functools import partial

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from core import two_factor


class ChosenLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class TwoFactorMiddleware:
    """Two-factor sign-in for every page (core.two_factor); after django-otp's OTPMiddleware.

    A user with a device whose session skipped the one-time code is anonymous here. With
    OTP_REQUIRED_FOR_PRIVILEGED on, a privileged user without a device is sent to the setup page
    (API calls get a 403 that says so) until they have one; only the setup, sign-out and
    language pages stay open.
    """

    OPEN_URL_NAMES = [
        "core:two_factor_setup",
        "core:two_factor_code",
        "admin:logout",
        "resident_requests:member_logout",
        "set_language",
    ]

    def __init__(self, get_response):
        self.get_response = get_response
        self._open_paths = None

    def open_paths(self) -> set[str]:
        if self._open_paths is None:
            paths = set()
            for name in self.OPEN_URL_NAMES:
                with suppress(NoReverseMatch):
                    paths.add(reverse(name))
            self._open_paths = paths
        return self._open_paths

    def __call__(self, request):
        user = request.user  # django-otp's lazy user (with is_verified())
        request.user = SimpleLazyObject(partial(two_factor.verified_user, request, user))
        if (
            settings.OTP_REQUIRED_FOR_PRIVILEGED
            and not self.is_open(request.path_info)
            and two_factor.setup_required(request, request.user)
        ):
            return self.setup_response(request)
        return self.get_response(request)

    def is_open(self, path: str) -> bool:
        return path in self.open_paths() or path.startswith(settings.STATIC_URL)

    def setup_response(self, request):
        message = _("Set up two-factor sign-in first: %(url)s") % {
            "url": request.build_absolute_uri(reverse("core:two_factor_setup"))
        }
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message}, status=403)
        return redirect_to_login(
            request.get_full_path(), reverse("core:two_factor_setup"), redirect_field_name="next"
        )
