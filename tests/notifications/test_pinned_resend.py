"""The admin's "send again" (notification_resend) and the inbox's "mark read" (inbox_mark_read):
which rows a staff member's action changes, to what, and the count the page reports (found by
`make mutants`)."""

import datetime

import pytest
from django.utils import timezone

from notifications import services
from notifications.models import Channel, Notification, NotificationStatus
from tests.organization.factories import UserFactory

from .factories import outbox_row

pytestmark = pytest.mark.django_db

_row = outbox_row


def test_send_again_starts_failed_and_dead_rows_from_scratch(
    published, django_capture_on_commit_callbacks
):
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    given_up = {"attempts": 5, "last_error": "HTTP 500", "claimed_at": long_ago}
    dead = _row(status=NotificationStatus.DEAD, **given_up)
    failed = _row(
        status=NotificationStatus.FAILED,
        next_attempt_at=timezone.now() + datetime.timedelta(minutes=5),
        **given_up,
    )
    sent = _row(status=NotificationStatus.SENT, attempts=1)
    pending = _row(status=NotificationStatus.PENDING)
    sending = _row(status=NotificationStatus.SENDING, attempts=1, claimed_at=timezone.now())
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        count = services.notification_resend(
            notifications=Notification.objects.filter(pk__in=[dead.pk, failed.pk, sent.pk])
        )

    assert count == 2
    for row in (dead, failed):
        row.refresh_from_db()
        assert row.status == NotificationStatus.PENDING and row.attempts == 0
        assert row.next_attempt_at is None and row.claimed_at is None
        assert before <= row.enqueued_at <= timezone.now()
        # The reason of the failure stays for the record until a new attempt replaces it.
        assert row.last_error == "HTTP 500"
    # Published again: the rows reset now, and no others (not the one sent, not rows not picked).
    assert [sorted(ids) for ids in published] == [sorted([dead.pk, failed.pk])]
    sent.refresh_from_db()
    assert sent.status == NotificationStatus.SENT and sent.attempts == 1
    assert Notification.objects.get(pk=pending.pk).enqueued_at is None
    assert Notification.objects.get(pk=sending.pk).status == NotificationStatus.SENDING


def test_send_again_on_rows_that_went_out_changes_and_publishes_nothing(
    published, django_capture_on_commit_callbacks
):
    sent = _row(status=NotificationStatus.SENT, attempts=1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert services.notification_resend(notifications=[sent]) == 0
    assert callbacks == [] and published == []


def test_send_again_leaves_the_dead_rows_nobody_picked(
    published, django_capture_on_commit_callbacks
):
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    picked = _row(status=NotificationStatus.DEAD, attempts=5)
    left = _row(status=NotificationStatus.DEAD, attempts=5)
    Notification.objects.filter(pk__in=[picked.pk, left.pk]).update(updated_at=long_ago)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.notification_resend(notifications=[picked]) == 1

    left.refresh_from_db()
    assert (left.status, left.attempts, left.updated_at) == (NotificationStatus.DEAD, 5, long_ago)
    picked.refresh_from_db()
    # The admin's list shows when a row last changed: now.
    assert picked.updated_at > long_ago + datetime.timedelta(minutes=59)
    assert published == [[picked.pk]]


# --- the inbox --------------------------------------------------------------------------------


def _user():
    user = UserFactory()
    user.save()
    return user


def _inbox(user, **fields) -> Notification:
    return _row(
        channel=Channel.INBOX,
        phone="",
        recipient_user=user,
        status=NotificationStatus.SENT,
        **fields,
    )


def test_mark_all_read_touches_only_this_users_unread_inbox():
    me, other = _user(), _user()
    mine = [_inbox(me), _inbox(me)]
    earlier = timezone.now() - datetime.timedelta(days=1)
    already = _inbox(me, read_at=earlier)
    theirs = _inbox(other)
    my_sms = _row(recipient_user=me)
    before = timezone.now()

    assert services.inbox_mark_read(user=me) == 2

    for row in mine:
        row.refresh_from_db()
        assert before <= row.read_at <= timezone.now()
    already.refresh_from_db()
    assert already.read_at == earlier  # the first reading is kept
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert Notification.objects.get(pk=my_sms.pk).read_at is None
    assert services.inbox_mark_read(user=me) == 0


def test_mark_read_by_ids_never_reaches_other_users_rows():
    me, other = _user(), _user()
    first, second = _inbox(me), _inbox(me)
    theirs = _inbox(other)

    assert services.inbox_mark_read(user=me, ids=iter([first.pk, theirs.pk])) == 1

    assert Notification.objects.get(pk=first.pk).read_at is not None
    assert Notification.objects.get(pk=second.pk).read_at is None
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert services.inbox_mark_read(user=me, ids=[]) == 0
    assert Notification.objects.get(pk=second.pk).read_at is None
