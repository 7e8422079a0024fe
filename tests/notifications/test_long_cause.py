"""A long cause still gives every recipient and channel its own message: the outbox's key fits
its column by ending in a digest of the whole, instead of being cut (two residents' keys were
cut to the same 200 characters and the second resident got no message)."""

import pytest

from notifications.models import Channel, Notification
from notifications.services import Recipient, notifications_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def routes(settings):
    settings.NOTIFICATIONS_ROUTES = {"resident": ["sms"], "staff": ["sms", "email"]}


def test_a_long_cause_writes_a_message_for_every_recipient_and_channel(routes, published):
    cause = "reception-booking:" + "长" * 180
    rows = notifications_create(
        cause=cause,
        template_key="request.received",
        context={"code": "JK-20261125-ABCDEFGHJ"},
        recipients=[
            Recipient(audience="resident", phone="13812345671"),
            Recipient(audience="resident", phone="13812345672"),
            Recipient(audience="staff", phone="13912345673", email="grid@example.cn"),
        ],
    )

    sent_to = sorted((row.channel, row.phone or row.email) for row in rows)
    assert sent_to == [
        (Channel.EMAIL, "grid@example.cn"),
        (Channel.SMS, "13812345671"),
        (Channel.SMS, "13812345672"),
        (Channel.SMS, "13912345673"),
    ]
    keys = [row.idempotency_key for row in Notification.objects.all()]
    assert len(set(keys)) == 4 and all(len(key) <= 200 for key in keys)


def test_the_same_long_cause_reported_again_writes_nothing_new(routes, published):
    cause = "reception-booking:" + "长" * 190
    for _ in range(2):
        notifications_create(
            cause=cause,
            template_key="request.received",
            context={},
            recipients=[Recipient(audience="resident", phone="13812345671")],
        )
    assert Notification.objects.count() == 1


def test_a_short_cause_keeps_its_readable_key(routes, published):
    notifications_create(
        cause="event:42",
        template_key="request.received",
        context={},
        recipients=[Recipient(audience="resident", phone="13812345671")],
    )
    assert Notification.objects.get().idempotency_key == "event:42|phone:13812345671|sms"
