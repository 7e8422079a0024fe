"""The login lockout backend (django-axes), for web logins."""

from axes.backends import AxesStandaloneBackend


class WebLoginLockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout for every login made through a web request.

    Without a request there is no client to lock out: Django's test client's login(), the
    shell, scripts. Those are passed on to the next backend (which checks the password) instead
    of failing with AxesBackendRequestParameterRequired.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
