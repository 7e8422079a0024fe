import pytest
from django.test import Client

from open311 import services
from tests.resident_requests.factories import world as make_world


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def w(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_world()


@pytest.fixture
def api_key(db):
    """The value of a freshly issued key (what the client is given)."""
    _key, raw = services.api_key_issue(name="12345 hotline", contact="0511-12345")
    return raw


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def filing(w, api_key):
    """A valid POST requests body; tests change what they need."""
    return {
        "api_key": api_key,
        "service_code": w.category.code,
        "address_id": str(w.buildings[0].pk),
        "first_name": "阿姨",
        "last_name": "李",
        "phone": "13912345678",
        "email": "li@example.org",
        "description": "楼道的灯坏了一个星期，晚上看不见台阶。",
    }
