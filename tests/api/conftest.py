import pytest
from rest_framework.test import APIClient

from tests.resident_requests.factories import world as make_world


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # A dozen test users with PBKDF2 take 20 s on a busy machine; nothing here tests hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def w(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_world()


@pytest.fixture
def client_for():
    """An API client signed in as `user` (force-authenticated, like a session or a token)."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make
