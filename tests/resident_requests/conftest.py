import pytest

from .factories import world as make_world


@pytest.fixture
def w(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Nine staff users and three members per test: a fast hasher keeps the suite quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_world()


@pytest.fixture
def notified(monkeypatch):
    """The events handed to notifications, in order."""
    from resident_requests import messages as request_messages

    events = []
    real = request_messages.notify_request_event

    def record(*, event):
        events.append(event)
        return real(event=event)

    monkeypatch.setattr(request_messages, "notify_request_event", record)
    return events
