"""What one attempt at an outbox row leaves behind (notifications_send, notification_send,
_send_one, _finish, _claim, _release): the status, the attempts counted, the reason of the failure
an auditor reads in the admin, when the next attempt is due, and the rows a batch gives back
when its lease runs short (found by `make mutants`). The channel is a stub: only the outcome of
the send matters here."""

import datetime
from functools import partial

import pytest
from django.utils import timezone

from notifications import services
from notifications.channels import PermanentSendError, TransientSendError
from notifications.models import Notification, NotificationStatus
from notifications.services import SendOutcome

from .factories import outbox_row

pytestmark = pytest.mark.django_db


_row = partial(
    outbox_row,
    context={
        "code": "JK-20261125-ABCDEFGHJ",
        "grid": "京口路第1网格",
        "category": "垃圾清运",
        "deadline": "2026-11-26T10:00:00+08:00",
    },
)


def _fresh(row: Notification) -> Notification:
    return Notification.objects.get(pk=row.pk)


def test_a_sent_row_is_marked_sent_with_its_time_and_one_attempt(channel):
    row = _row()
    before = timezone.now()

    assert services.notification_send(notification_id=row.pk) == "sent"

    row = _fresh(row)
    assert row.status == NotificationStatus.SENT and row.attempts == 1
    assert before <= row.sent_at <= timezone.now()
    assert row.last_error == "" and row.next_attempt_at is None
    (message,) = channel.sent
    assert message.phone == "13812345678" and message.idempotency_key == row.idempotency_key


def test_a_transient_failure_is_failed_with_its_reason_and_the_backoff(channel):
    row = _row()
    channel.script = [TransientSendError("HTTP 503 from the SMS gateway")]
    before = timezone.now()

    outcomes = services.notifications_send(ids=[row.pk])

    assert outcomes == {row.pk: SendOutcome("failed", 1, "HTTP 503 from the SMS gateway")}
    row = _fresh(row)
    assert row.status == NotificationStatus.FAILED and row.attempts == 1
    assert row.last_error == "HTTP 503 from the SMS gateway" and row.sent_at is None
    # The first retry is due after the base backoff (10 s), not at once and not later.
    wait = (row.next_attempt_at - before).total_seconds()
    assert 10 <= wait < 12


def test_the_backoff_doubles_with_each_attempt(channel):
    row = _row()
    channel.script = [TransientSendError("timeout")] * 2
    services.notifications_send(ids=[row.pk])
    before = timezone.now()
    services.notifications_send(ids=[row.pk])
    row = _fresh(row)
    assert row.status == NotificationStatus.FAILED and row.attempts == 2
    assert 20 <= (row.next_attempt_at - before).total_seconds() < 22


def test_a_transient_failure_raises_for_the_single_task_with_the_reason(channel):
    row = _row()
    channel.script = [TransientSendError("HTTP 500")]
    with pytest.raises(TransientSendError, match="^HTTP 500$"):
        services.notification_send(notification_id=row.pk)


def test_an_unexpected_error_counts_as_transient_and_names_its_type(channel):
    row = _row()
    channel.script = [ValueError("bad gateway answer")]

    outcomes = services.notifications_send(ids=[row.pk])

    assert outcomes[row.pk] == SendOutcome("failed", 1, "ValueError: bad gateway answer")
    row = _fresh(row)
    assert row.status == NotificationStatus.FAILED
    assert row.last_error == "ValueError: bad gateway answer"


def test_the_last_allowed_attempt_that_fails_is_dead_with_its_reason(channel):
    row = _row(status=NotificationStatus.FAILED, attempts=2)
    channel.script = [TransientSendError("HTTP 502")]

    assert services.notifications_send(ids=[row.pk]) == {row.pk: SendOutcome("dead", 3, "HTTP 502")}
    row = _fresh(row)
    assert row.status == NotificationStatus.DEAD and row.attempts == 3
    assert row.last_error == "HTTP 502" and row.next_attempt_at is None


def test_one_attempt_short_of_the_limit_is_still_failed(channel):
    row = _row(status=NotificationStatus.FAILED, attempts=1)
    channel.script = [TransientSendError("HTTP 502")]
    assert services.notifications_send(ids=[row.pk])[row.pk].outcome == "failed"
    assert _fresh(row).status == NotificationStatus.FAILED


def test_an_unexpected_error_on_the_last_attempt_is_dead_with_its_type(channel):
    row = _row(status=NotificationStatus.FAILED, attempts=2)
    channel.script = [KeyError("x")]
    assert services.notification_send(notification_id=row.pk) == "dead"
    row = _fresh(row)
    assert row.status == NotificationStatus.DEAD and row.last_error == "KeyError: 'x'"


def test_a_permanent_failure_is_dead_at_the_first_attempt_with_its_reason(channel):
    row = _row()
    channel.script = [PermanentSendError("number rejected")]

    assert services.notifications_send(ids=[row.pk]) == {
        row.pk: SendOutcome("dead", 1, "number rejected")
    }
    row = _fresh(row)
    assert row.status == NotificationStatus.DEAD and row.attempts == 1
    assert row.last_error == "number rejected" and row.sent_at is None


def test_a_message_that_cannot_be_written_is_dead_without_a_send(channel):
    row = _row(template_key="no.such.template")
    assert services.notification_send(notification_id=row.pk) == "dead"
    row = _fresh(row)
    assert row.status == NotificationStatus.DEAD and "no.such.template" in row.last_error
    assert channel.sent == []


def test_a_long_reason_is_kept_to_2000_characters(channel):
    row = _row()
    channel.script = [TransientSendError("x" * 2500)]
    services.notifications_send(ids=[row.pk])
    assert _fresh(row).last_error == "x" * 2000


def test_the_reason_of_an_earlier_failure_stays_after_the_success(channel):
    # "Sent on the 2nd attempt, after HTTP 500": the admin still shows why it was late.
    row = _row()
    channel.script = [TransientSendError("HTTP 500"), None]
    services.notifications_send(ids=[row.pk])
    services.notifications_send(ids=[row.pk])
    row = _fresh(row)
    assert row.status == NotificationStatus.SENT and row.attempts == 2
    assert row.last_error == "HTTP 500"


def test_rows_sent_dead_or_under_a_live_lease_are_not_claimed(channel):
    sent = _row(status=NotificationStatus.SENT, attempts=1)
    dead = _row(status=NotificationStatus.DEAD, attempts=3)
    live = _row(status=NotificationStatus.SENDING, attempts=1, claimed_at=timezone.now())
    failed = _row(status=NotificationStatus.FAILED, attempts=1)
    pending = _row()

    outcomes = services.notifications_send(ids=[sent.pk, dead.pk, live.pk, failed.pk, pending.pk])

    assert outcomes == {failed.pk: SendOutcome("sent", 2), pending.pk: SendOutcome("sent", 1)}
    assert [_fresh(r).attempts for r in (sent, dead, live)] == [1, 3, 1]
    assert _fresh(live).status == NotificationStatus.SENDING
    assert services.notification_send(notification_id=live.pk) == "skipped"


def test_a_row_whose_lease_ran_out_is_taken_over_and_counted(channel, settings):
    expired = timezone.now() - datetime.timedelta(seconds=121)
    row = _row(status=NotificationStatus.SENDING, attempts=1, claimed_at=expired)
    assert services.notifications_send(ids=[row.pk]) == {row.pk: SendOutcome("sent", 2)}
    assert _fresh(row).status == NotificationStatus.SENT


def test_a_claim_marks_the_rows_sending_with_the_claim_time(channel):
    rows = [_row(), _row(status=NotificationStatus.FAILED, attempts=1)]
    before = timezone.now()
    claimed = services._claim([rows[1].pk, rows[0].pk])
    assert [r.pk for r in claimed] == [rows[0].pk, rows[1].pk]
    for row, attempts in zip(rows, (1, 2), strict=True):
        row = _fresh(row)
        assert row.status == NotificationStatus.SENDING and row.attempts == attempts
        assert before <= row.claimed_at <= timezone.now()
    assert services._claim([]) == []


def test_a_batch_past_half_its_lease_gives_the_rest_back_uncounted(channel, settings, published):
    # A lease of 0 s: past its first row the batch is always out of time. The first row is
    # sent; the others go back to "pending", their attempt not counted, and are published again.
    settings.NOTIFICATIONS_SENDING_LEASE = 0
    rows = [_row() for _ in range(3)]
    before = timezone.now()

    outcomes = services.notifications_send(ids=[r.pk for r in rows])

    assert outcomes == {
        rows[0].pk: SendOutcome("sent", 1),
        rows[1].pk: SendOutcome("released"),
        rows[2].pk: SendOutcome("released"),
    }
    assert published == [[rows[1].pk, rows[2].pk]]
    assert len(channel.sent) == 1
    for row in rows[1:]:
        row = _fresh(row)
        assert row.status == NotificationStatus.PENDING and row.attempts == 0
        assert row.claimed_at is None and before <= row.enqueued_at <= timezone.now()
    # The single-row task reports a given-back row as skipped, not sent.
    assert services.notifications_send(ids=[rows[1].pk])[rows[1].pk].outcome == "sent"


def test_the_budget_is_half_the_lease(channel, settings, published):
    # A lease of 1 s and a send of 0.6 s: the second row would start past half the lease.
    settings.NOTIFICATIONS_SENDING_LEASE = 1
    channel.delay = 0.6
    first, second = _row(), _row()
    outcomes = services.notifications_send(ids=[first.pk, second.pk])
    assert [outcomes[first.pk].outcome, outcomes[second.pk].outcome] == ["sent", "released"]
    assert published == [[second.pk]]


def test_a_batch_with_time_left_sends_every_row(channel, published):
    rows = [_row() for _ in range(3)]
    outcomes = services.notifications_send(ids=[r.pk for r in rows])
    assert [o.outcome for o in outcomes.values()] == ["sent"] * 3
    assert published == [] and len(channel.sent) == 3


def test_a_row_taken_over_meanwhile_is_not_given_back(channel):
    # The release is guarded by the claim: a row another worker claimed since stays theirs.
    (mine, theirs) = services._claim([_row().pk, _row().pk])
    Notification.objects.filter(pk=theirs.pk).update(claimed_at=timezone.now())
    assert services._release([mine, theirs]) == [mine.pk]
    assert _fresh(theirs).status == NotificationStatus.SENDING
    assert _fresh(theirs).attempts == 1
    assert _fresh(mine).status == NotificationStatus.PENDING


def test_the_single_task_reports_a_given_back_row_as_skipped(monkeypatch):
    monkeypatch.setattr(
        services, "notifications_send", lambda *, ids: {ids[0]: SendOutcome("released")}
    )
    assert services.notification_send(notification_id=5) == "skipped"


def test_a_row_already_sent_under_this_claim_is_not_given_back(channel):
    # Its outcome was recorded (the claim time stays on the row): giving it back would send the
    # message a second time.
    (row,) = services._claim([_row().pk])
    Notification.objects.filter(pk=row.pk).update(status=NotificationStatus.SENT)
    assert services._release([row]) == []
    assert _fresh(row).status == NotificationStatus.SENT and _fresh(row).attempts == 1
