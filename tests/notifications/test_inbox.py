"""The in-portal inbox (issue 16, point 6a): staff without a phone or an e-mail address still
read every message addressed to them, newest first, mark them read, and see the unread count in
the admin's header."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Channel, Notification
from notifications.selectors import inbox_unread_count
from resident_requests import services
from tests.resident_requests.factories import submit
from tests.resident_requests.factories import world as make_world

pytestmark = pytest.mark.django_db
INBOX = reverse("notifications:inbox")


@pytest.fixture
def w(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = make_world()
    # The grid leader has neither a phone (no person record) nor an e-mail address.
    world.users["leader"].email = ""
    world.users["leader"].save(update_fields=["email"])
    return world


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_a_leader_without_phone_or_email_reads_the_new_request_in_the_inbox(client, w):
    leader = w.users["leader"]
    request = submit(w)
    # No SMS or e-mail can reach them …
    assert not Notification.objects.filter(recipient_user=leader).exclude(channel=Channel.INBOX)
    # … the inbox does.
    (row,) = Notification.objects.filter(recipient_user=leader, channel=Channel.INBOX)
    assert row.template_key == "request.submitted" and row.status == "sent"
    client.force_login(leader)
    page = _english(client).get(INBOX).content.decode()
    assert f"New request {request.code}" in page
    assert "Inbox (1 unread)" in page
    admin_page = client.get(reverse("admin:index")).content.decode()
    assert "Inbox (1)" in admin_page


def test_newest_first_mark_read_one_and_all(client, w):
    leader = w.users["leader"]
    first, second, third = submit(w), submit(w), submit(w)
    client.force_login(leader)
    _english(client)
    page = client.get(INBOX)
    codes = [r.text.split()[2] for r in page.context["rows"]]
    assert codes == [third.code, second.code, first.code]
    assert inbox_unread_count(leader) == 3
    newest = page.context["rows"][0].pk
    client.post(INBOX, {"id": newest})
    assert inbox_unread_count(leader) == 2
    assert Notification.objects.get(pk=newest).read_at is not None
    client.post(INBOX, {"all": "1"})
    assert inbox_unread_count(leader) == 0
    assert "Inbox (0)" in client.get(reverse("admin:index")).content.decode()


def test_nobody_marks_or_reads_another_users_messages(client, w):
    submit(w)
    theirs = Notification.objects.filter(
        recipient_user=w.users["leader"], channel=Channel.INBOX
    ).get()
    client.force_login(w.users["leader_b"])
    assert client.get(INBOX).context["rows"] == []
    client.post(INBOX, {"id": theirs.pk})
    client.post(INBOX, {"id": "not a number"})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.logout()
    assert client.get(INBOX).status_code == 302  # sign in first


def _inbox_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(INBOX).status_code == 200
    return len(queries)


def test_the_inbox_page_takes_the_same_queries_for_3_or_30_messages(client, w):
    client.force_login(w.users["leader"])
    for _ in range(3):
        submit(w)
    few = _inbox_queries(client)
    for _ in range(27):
        submit(w)
    many = _inbox_queries(client)
    assert len(client.get(INBOX).context["rows"]) == 30
    assert many == few


def test_escalation_reaches_the_community_staffs_inbox(w):
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    services.request_escalate(request=request, actor=w.users["leader"], note="需社区协调")
    assert Notification.objects.filter(
        recipient_user=w.users["community"],
        channel=Channel.INBOX,
        template_key="request.escalated",
    ).exists()


def test_a_party_member_signs_in_and_reads_their_order_in_the_inbox(client, w):
    member = w.members[0]
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    services.request_dispatch(request=request, actor=w.users["leader"], assignee=member)
    response = client.get(INBOX)
    assert response.status_code == 302
    assert response.url.startswith(reverse("resident_requests:todo_login"))
    client.force_login(member.user)
    page = _english(client).get(INBOX).content.decode()
    assert "A new order for you" in page


def test_a_party_member_sees_the_unread_count_on_their_order_pages(client, w):
    """Members work on /member/, not in the admin: its pages link to the inbox with the count."""
    member = w.members[0]
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    services.request_dispatch(request=request, actor=w.users["leader"], assignee=member)
    unread = inbox_unread_count(member.user)
    assert unread >= 1
    client.force_login(member.user)
    _english(client)
    link = f'<a href="{INBOX}" class="inbox-link">Inbox ({unread})</a>'
    for url in (
        reverse("resident_requests:member_orders"),
        reverse("resident_requests:member_order", args=[request.code]),
    ):
        assert link in client.get(url).content.decode(), url
