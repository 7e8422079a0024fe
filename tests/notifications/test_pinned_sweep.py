"""What the sweeper must never publish again: a message that went out or was given up, a retry
before its time, a row it has just published (found by `make mutants`). Each would reach a
resident or a member twice, or defeat the retry backoff."""

import datetime

import pytest
from django.utils import timezone

from notifications import services
from notifications.models import Notification, NotificationStatus
from notifications.services import Recipient, notifications_create
from tests.organization.factories import PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager", "robot_settings")]

CONTEXT = {
    "code": "JK-20261125-ABCDEFGHJ",
    "grid": "京口路第1网格",
    "category": "垃圾清运",
    "deadline": "2026-11-26T10:00:00+08:00",
}


def _row(cause: str, **state) -> Notification:
    (row,) = notifications_create(
        cause=cause,
        template_key="request.submitted",
        context=CONTEXT,
        recipients=[Recipient(audience="staff", person=PersonFactory())],
    )
    long_ago = timezone.now() - datetime.timedelta(minutes=30)
    Notification.objects.filter(pk=row.pk).update(
        created_at=long_ago, enqueued_at=long_ago, **state
    )
    return row


def test_messages_that_went_out_or_were_given_up_are_never_sent_again(webhook):
    # Both failed once (a retry time long past) and were claimed by a worker long ago.
    long_ago = timezone.now() - datetime.timedelta(minutes=20)
    past = {"next_attempt_at": long_ago, "claimed_at": long_ago, "attempts": 2}
    _row("went-out", status=NotificationStatus.SENT, **past)
    _row("given-up", status=NotificationStatus.DEAD, **past)

    assert services.outbox_sweep() == 0
    assert webhook.received == []


def test_a_failed_message_waits_for_its_retry_time(webhook):
    # The backoff said "in five minutes": the sweeper must not send it sooner.
    row = _row(
        "not-yet",
        status=NotificationStatus.FAILED,
        attempts=2,
        next_attempt_at=timezone.now() + datetime.timedelta(minutes=5),
    )

    assert services.outbox_sweep() == 0
    row.refresh_from_db()
    assert row.status == NotificationStatus.FAILED and row.attempts == 2
    assert webhook.received == []


def test_a_row_the_sweeper_published_is_not_published_again_within_the_grace(monkeypatch):
    # The broker takes the message but no worker has run it yet: the next sweep a minute later
    # must not publish it a second time.
    published = []
    monkeypatch.setattr(
        services, "notifications_enqueue", lambda *, ids: published.append(list(ids)) or len(ids)
    )
    row = _row("lost", status=NotificationStatus.PENDING)

    assert services.outbox_sweep() == 1
    row.refresh_from_db()
    assert row.enqueued_at is not None
    assert timezone.now() - row.enqueued_at < datetime.timedelta(minutes=1)
    assert services.outbox_sweep() == 0
    assert published == [[row.pk]]
