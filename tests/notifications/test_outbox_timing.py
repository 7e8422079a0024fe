"""The outbox's timing: retries wait longer each time, and the sweeper leaves live leases alone."""

import datetime

import pytest
from django.utils import timezone

from notifications import services
from notifications.channels import TransientSendError
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


def _row(cause: str) -> Notification:
    (row,) = notifications_create(
        cause=cause,
        template_key="request.submitted",
        context=CONTEXT,
        recipients=[Recipient(audience="staff", person=PersonFactory())],
    )
    return row


def test_each_failed_attempt_waits_twice_as_long_as_the_one_before(webhook, settings):
    # A robot down for a minute must not use up the attempts: 10 s, 20 s, 40 s, 80 s…
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 6
    settings.NOTIFICATIONS_RETRY_BACKOFF = 10
    settings.NOTIFICATIONS_RETRY_BACKOFF_MAX = 600
    row = _row("backoff")
    webhook.script = [(500, {})] * 5
    waits = []
    for _attempt in range(5):
        with pytest.raises(TransientSendError):
            services.notification_send(notification_id=row.pk)
        row.refresh_from_db()
        waits.append((row.next_attempt_at - row.updated_at).total_seconds())
    assert [round(w) for w in waits] == [10, 20, 40, 80, 160]
    # Five failures in a row leave the message alive, to be tried after 160 s more.
    assert row.status == NotificationStatus.FAILED
    assert sum(waits) > 5 * 60


def test_the_wait_before_a_retry_stops_growing_at_its_maximum(settings):
    settings.NOTIFICATIONS_RETRY_BACKOFF = 10
    settings.NOTIFICATIONS_RETRY_BACKOFF_MAX = 600
    assert [services.retry_delay(n) for n in (1, 2, 3, 7, 8, 20)] == [10, 20, 40, 600, 600, 600]


def test_the_sweeper_leaves_a_row_being_sent_under_a_live_lease(webhook, settings):
    long_ago = timezone.now() - datetime.timedelta(minutes=10)
    lease = settings.NOTIFICATIONS_SENDING_LEASE
    live = _row("live-lease")
    expired = _row("expired-lease")
    Notification.objects.filter(pk__in=[live.pk, expired.pk]).update(
        created_at=long_ago, enqueued_at=long_ago, attempts=1, status=NotificationStatus.SENDING
    )
    # A worker claimed `live` a moment ago and is sending it now; `expired`'s worker died.
    Notification.objects.filter(pk=live.pk).update(
        claimed_at=timezone.now() - datetime.timedelta(seconds=lease / 4)
    )
    Notification.objects.filter(pk=expired.pk).update(
        claimed_at=timezone.now() - datetime.timedelta(seconds=lease + 1)
    )

    assert services.outbox_sweep() == 1
    live.refresh_from_db()
    expired.refresh_from_db()
    assert live.status == NotificationStatus.SENDING and live.attempts == 1
    assert live.enqueued_at == long_ago  # not published again
    assert expired.status == NotificationStatus.SENT
    assert len(webhook.received) == 1
