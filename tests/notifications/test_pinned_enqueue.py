"""The outbox rows a cause writes and which of them are published after the commit
(notifications_create / notifications_create_many): who each row goes to, on which channel, with
what context, language and request, under which key, and that a group robot names each staff
member once (found by `make mutants`). An auditor reads these rows in the admin's outbox."""

import pytest

from notifications import services
from notifications.models import Channel, Notification, NotificationStatus
from notifications.services import Recipient, notifications_create, notifications_create_many
from tests.organization.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

CONTEXT = {"code": "JK-20261125-ABCDEFGHJ", "grid": "京口路第1网格"}


@pytest.fixture
def routes(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    settings.NOTIFICATIONS_ROUTES = {
        "resident": ["sms", "wecom"],
        "staff": ["sms", "email", "wecom"],
        "department": ["dingtalk"],
    }
    return settings


def _fields(row: Notification) -> dict:
    row.refresh_from_db()
    return {
        "user": row.recipient_user_id,
        "person": row.recipient_person_id,
        "phone": row.phone,
        "email": row.email,
        "channel": row.channel,
        "template_key": row.template_key,
        "context": row.context,
        "language": row.language,
        "request_id": row.request_id,
        "key": row.idempotency_key,
        "status": row.status,
    }


def test_each_channel_row_carries_its_own_address_context_language_and_request(routes):
    user = UserFactory(email="wang@example.org")
    user.save()
    person = PersonFactory(phone="13900000011", user=user)
    recipient = Recipient(audience="staff", person=person, language="en", extra={"role": "组长"})

    rows = notifications_create(
        cause="event:7",
        template_key="request.submitted",
        context=CONTEXT,
        recipients=[recipient],
        request_id=42,
    )

    by_channel = {row.channel: _fields(row) for row in rows}
    assert sorted(by_channel) == ["email", "inbox", "sms", "wecom"]
    personal = {
        "user": user.pk,
        "person": person.pk,
        "template_key": "request.submitted",
        "context": {**CONTEXT, "role": "组长"},
        "language": "en",
        "request_id": 42,
    }
    assert by_channel["sms"] == {
        **personal,
        "phone": "13900000011",
        "email": "",
        "channel": "sms",
        "key": f"event:7|person:{person.pk}|sms",
        "status": NotificationStatus.PENDING,
    }
    assert by_channel["email"] == {
        **personal,
        "phone": "",
        "email": "wang@example.org",
        "channel": "email",
        "key": f"event:7|person:{person.pk}|email",
        "status": NotificationStatus.PENDING,
    }
    # The login's inbox copy is stored as delivered at once.
    assert by_channel["inbox"] == {
        **personal,
        "phone": "",
        "email": "",
        "channel": "inbox",
        "key": f"event:7|person:{person.pk}|inbox",
        "status": NotificationStatus.SENT,
    }
    # The group robot's row is the group's, not the person's: the portal's language, and the
    # person only @-mentioned.
    assert by_channel["wecom"] == {
        "user": None,
        "person": None,
        "phone": "",
        "email": "",
        "channel": "wecom",
        "template_key": "request.submitted",
        "context": {**CONTEXT, "mention": ["13900000011"]},
        "language": "zh-hans",
        "request_id": 42,
        "key": "event:7|group|wecom",
        "status": NotificationStatus.PENDING,
    }
    inbox = Notification.objects.get(channel=Channel.INBOX)
    assert inbox.sent_at is not None
    assert not Notification.objects.exclude(channel=Channel.INBOX).filter(sent_at__isnull=False)
    # The caller's context is not touched by the mentions or the extras.
    assert CONTEXT == {"code": "JK-20261125-ABCDEFGHJ", "grid": "京口路第1网格"}


def test_a_recipient_without_a_language_gets_the_portals(routes):
    routes.LANGUAGE_CODE = "en"
    routes.NOTIFICATIONS_ROUTES = {"resident": ["sms"]}
    (row,) = notifications_create(
        cause="event:8",
        template_key="request.received",
        context=CONTEXT,
        recipients=[Recipient(audience="resident", phone="13812345678")],
    )
    assert _fields(row)["language"] == "en" and row.channel == "sms"


def test_the_robot_names_each_staff_phone_once_sorted_and_never_a_resident(routes):
    people = [PersonFactory(phone=p) for p in ("13900000033", "13900000011")]
    recipients = [
        Recipient(audience="staff", person=people[0]),
        Recipient(audience="staff", person=people[1]),
        Recipient(audience="staff", phone="13900000011"),  # the same phone again
        Recipient(audience="staff", email="nophone@example.org"),  # nobody to @-mention
        Recipient(audience="resident", phone="13812345678"),  # residents are not in the group
    ]
    rows = notifications_create(
        cause="event:9", template_key="request.submitted", context=CONTEXT, recipients=recipients
    )

    (robot,) = [row for row in rows if row.channel == "wecom"]
    assert _fields(robot)["context"]["mention"] == ["13900000011", "13900000033"]
    assert Notification.objects.filter(channel="wecom").count() == 1
    # The resident still gets an SMS of their own; the staff member without a phone none.
    assert sorted(Notification.objects.filter(channel="sms").values_list("phone", flat=True)) == [
        "13812345678",
        "13900000011",
        "13900000011",
        "13900000033",
    ]
    assert not Notification.objects.filter(email="nophone@example.org", channel="sms").exists()
    assert Notification.objects.filter(email="nophone@example.org", channel="email").count() == 1


def test_a_robot_row_mentions_only_the_staff_of_its_own_message(routes):
    # The first message of a cause that names the robot is its message; the staff of a later
    # message of the same cause are not @-mentioned under a text that is not theirs.
    staff_a = PersonFactory(phone="13900000041")
    staff_b = PersonFactory(phone="13900000042")
    rows = notifications_create_many(
        cause="event:10",
        messages=[
            ("request.submitted", CONTEXT, [Recipient(audience="staff", person=staff_a)]),
            ("request.overdue", CONTEXT, [Recipient(audience="staff", person=staff_b)]),
        ],
    )
    (robot,) = [row for row in rows if row.channel == "wecom"]
    fields = _fields(robot)
    assert fields["template_key"] == "request.submitted"
    assert fields["context"]["mention"] == ["13900000041"]


def test_a_department_robot_row_has_no_mentions_without_phones(routes):
    (row,) = notifications_create(
        cause="event:11",
        template_key="request.submitted",
        context=CONTEXT,
        recipients=[Recipient(audience="department")],
    )
    assert _fields(row)["channel"] == "dingtalk"
    assert "mention" not in row.context and row.idempotency_key == "event:11|group|dingtalk"


def test_no_recipient_with_an_address_writes_and_publishes_nothing(
    routes, published, django_capture_on_commit_callbacks
):
    routes.NOTIFICATIONS_ROUTES = {"staff": ["sms", "email"]}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rows = notifications_create(
            cause="event:12",
            template_key="request.submitted",
            context=CONTEXT,
            recipients=[
                Recipient(audience="nobody-routes-here", phone="13812345678"),
                Recipient(audience="staff"),  # routed, but no address for any channel
            ],
        )
    assert rows == [] and callbacks == [] and published == []
    assert Notification.objects.count() == 0


def test_residents_logins_get_no_inbox_copy(routes):
    routes.NOTIFICATIONS_ROUTES = {"resident": ["sms"]}
    user = UserFactory(is_staff=False)
    user.save()
    rows = notifications_create(
        cause="event:13",
        template_key="request.received",
        context=CONTEXT,
        recipients=[Recipient(audience="resident", user=user, phone="13812345678")],
    )
    assert [row.channel for row in rows] == ["sms"]


def test_staff_without_any_route_still_get_the_inbox_copy_and_nothing_is_published(
    routes, published, django_capture_on_commit_callbacks
):
    routes.NOTIFICATIONS_ROUTES = {}
    user = UserFactory(email="")
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = notifications_create(
            cause="event:14",
            template_key="request.submitted",
            context=CONTEXT,
            recipients=[Recipient(audience="staff", user=user)],
        )
    fields = _fields(row)
    assert fields["channel"] == "inbox" and fields["user"] == user.pk
    assert fields["key"] == f"event:14|user:{user.pk}|inbox"
    assert fields["status"] == NotificationStatus.SENT
    assert published == []


def test_published_after_commit_are_the_new_rows_in_id_order_not_the_inbox(
    routes, published, django_capture_on_commit_callbacks
):
    routes.NOTIFICATIONS_ROUTES = {"staff": ["sms"]}
    user = UserFactory()
    user.save()
    person = PersonFactory(phone="13900000051", user=user)
    with django_capture_on_commit_callbacks(execute=True):
        rows = notifications_create(
            cause="event:15",
            template_key="request.submitted",
            context=CONTEXT,
            recipients=[
                Recipient(audience="staff", phone="13900000052"),
                Recipient(audience="staff", person=person),
            ],
        )
    ids = [row.pk for row in rows]
    assert ids == sorted(ids)
    sms = [row.pk for row in rows if row.channel == "sms"]
    assert len(sms) == 2 and len(rows) == 3
    assert published == [sorted(sms)]


def test_a_cause_reported_again_publishes_its_still_pending_rows_not_the_sent_ones(
    routes, django_capture_on_commit_callbacks, monkeypatch
):
    routes.NOTIFICATIONS_ROUTES = {"resident": ["sms"]}
    first = [Recipient(audience="resident", phone=p) for p in ("13800000001", "13800000002")]
    with django_capture_on_commit_callbacks(execute=False):
        a, b = notifications_create(
            cause="event:16", template_key="request.received", context=CONTEXT, recipients=first
        )
    Notification.objects.filter(pk=a.pk).update(status=NotificationStatus.SENT)

    published = []
    monkeypatch.setattr(
        services,
        "notifications_enqueue",
        lambda *, ids, countdown=None: published.append(list(ids)) or len(ids),
    )
    again = [*first, Recipient(audience="resident", phone="13800000003")]
    with django_capture_on_commit_callbacks(execute=True):
        (c,) = notifications_create(
            cause="event:16", template_key="request.received", context=CONTEXT, recipients=again
        )
    assert c.phone == "13800000003"
    # The new row and the one still pending since the first report; not the one sent.
    assert published == [sorted([b.pk, c.pk])]
    assert Notification.objects.filter(idempotency_key__startswith="event:16|").count() == 3


def test_a_cause_reported_again_with_everything_sent_publishes_nothing(
    routes, django_capture_on_commit_callbacks, monkeypatch
):
    routes.NOTIFICATIONS_ROUTES = {"resident": ["sms"]}
    recipients = [Recipient(audience="resident", phone="13800000001")]
    with django_capture_on_commit_callbacks(execute=False):
        notifications_create(
            cause="event:17",
            template_key="request.received",
            context=CONTEXT,
            recipients=recipients,
        )
    Notification.objects.update(status=NotificationStatus.SENT)
    published = []
    monkeypatch.setattr(
        services,
        "notifications_enqueue",
        lambda *, ids, countdown=None: published.append(list(ids)) or len(ids),
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert (
            notifications_create(
                cause="event:17",
                template_key="request.received",
                context=CONTEXT,
                recipients=recipients,
            )
            == []
        )
    assert callbacks == [] and published == []
