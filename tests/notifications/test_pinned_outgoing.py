"""What a channel is handed for a row (message_for): the row's id and key, the title and text in
the row's language, the address of its channel and the @-mentions; and the log line an unexpected
failure leaves, naming the row (pinned from mutation testing)."""

import logging

import pytest

from notifications import services
from notifications.channels import TransientSendError
from notifications.messages import render
from notifications.models import Channel

from .factories import outbox_row

pytestmark = pytest.mark.django_db
CONTEXT = {
    "code": "JK-20261125-ABCDEFGHJ",
    "grid": "京口路第1网格",
    "category": "垃圾清运",
    "deadline": "2026-11-26T10:00:00+08:00",
    "mention": ["13800000001", "13800000002"],
}


def test_the_channel_gets_the_row_in_its_language_with_its_address(channel):
    email = outbox_row(
        channel=Channel.EMAIL, phone="", email="wang@example.com", language="en", context=CONTEXT
    )
    sms = outbox_row(context=CONTEXT)
    services.notifications_send(ids=[email.pk, sms.pk])
    sent = {message.notification_id: message for message in channel.sent}
    assert set(sent) == {email.pk, sms.pk}
    first = sent[email.pk]
    assert (first.title, first.text) == render("request.submitted", CONTEXT, "en")
    assert (first.title, first.text) != render("request.submitted", CONTEXT, "zh-hans")
    assert first.email == "wang@example.com" and first.phone == ""
    assert first.idempotency_key == email.idempotency_key
    assert first.mention_phones == ["13800000001", "13800000002"]
    assert sent[sms.pk].phone == "13812345678" and sent[sms.pk].email == ""


def test_an_unexpected_failure_is_logged_with_the_row_a_known_one_is_not(channel, caplog):
    unexpected, known = outbox_row(context=CONTEXT), outbox_row(context=CONTEXT)
    channel.script = [ValueError("bug"), TransientSendError("busy")]
    with caplog.at_level(logging.ERROR, logger="notifications"):
        services.notifications_send(ids=[unexpected.pk, known.pk])
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged == [f"notifications: unexpected error sending row {unexpected.pk}"]
