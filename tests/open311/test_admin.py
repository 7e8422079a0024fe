"""API keys in the admin: issued with their value shown once, stored as a digest, revoked."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages

from open311 import selectors
from open311.models import ApiKey


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-123-abc")
    client.force_login(user)
    return client


def test_issue_shows_the_key_once_and_stores_only_its_digest(admin_client):
    response = admin_client.post(
        "/admin/open311/apikey/add/", {"name": "12345 热线", "contact": "0511-12345"}, follow=True
    )
    assert response.status_code == 200
    key = ApiKey.objects.get()
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    raw = next(word for text in shown for word in text.split() if word.startswith(key.prefix))
    raw = raw.rstrip("。.,，")
    assert selectors.api_key_for(raw) == key
    assert raw not in key.digest
    # The change page never shows the key again.
    page = admin_client.get(f"/admin/open311/apikey/{key.pk}/change/")
    assert raw not in page.content.decode()


def test_revoke_action(admin_client):
    from open311.services import api_key_issue

    key, raw = api_key_issue(name="mini-program")
    response = admin_client.post(
        "/admin/open311/apikey/",
        {"action": "revoke", "_selected_action": [key.pk]},
        follow=True,
    )
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert selectors.api_key_for(raw) is None


def test_staff_who_are_not_superusers_cannot_manage_keys(client, db):
    user = get_user_model().objects.create_user("staff", password="pw-123-abc", is_staff=True)
    client.force_login(user)
    assert client.get("/admin/open311/apikey/").status_code == 403
