"""Retention reaches the outbox: messages already sent or given up lose the resident's address."""

import pytest
from django.conf import settings

from notifications.models import Channel, Notification, NotificationStatus
from ops.services import requests_anonymize_expired

from .factories import Place, resident_request

RETENTION = settings.PERSONAL_DATA_RETENTION_DAYS


def _message(request, status, key):
    return Notification.objects.create(
        request_id=request.pk,
        phone=request.submitter_phone,
        channel=Channel.SMS,
        template_key="request.resolved",
        context={"code": request.code, "link": "https://example.test/t/abc"},
        status=status,
        idempotency_key=key,
    )


@pytest.mark.django_db
def test_old_requests_messages_sent_or_dead_lose_the_phone_and_pending_ones_keep_it():
    place = Place()
    old = resident_request(place, closed_days_ago=RETENTION + 1)
    recent = resident_request(place, closed_days_ago=1, phone="13700001111")
    sent = _message(old, NotificationStatus.SENT, "a")
    dead = _message(old, NotificationStatus.DEAD, "b")
    pending = _message(old, NotificationStatus.PENDING, "c")
    recent_sent = _message(recent, NotificationStatus.SENT, "d")

    result = requests_anonymize_expired()

    assert result.notifications == 2
    for row in (sent, dead):
        row.refresh_from_db()
        assert (row.phone, row.email, row.context) == ("", "", {})
    pending.refresh_from_db()
    assert pending.phone == "13812345678"  # still to go out: it keeps its address
    recent_sent.refresh_from_db()
    assert recent_sent.phone == "13700001111"
    assert not Notification.objects.filter(phone="13812345678").exclude(pk=pending.pk).exists()
