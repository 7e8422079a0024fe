"""The outbox: writing rows once, sending once, retrying, giving up, sweeping (eager tasks)."""

import datetime

import pytest
from django.utils import timezone

from notifications import services
from notifications.channels import TransientSendError
from notifications.models import Notification, NotificationStatus
from notifications.services import Recipient, notifications_create
from notifications.tasks import send_notification, send_notifications
from tests.organization.factories import PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager", "robot_settings")]

CONTEXT = {
    "code": "JK-20261125-ABCDEFGHJ",
    "grid": "京口路第1网格",
    "category": "垃圾清运",
    "deadline": "2026-11-26T10:00:00+08:00",
}


def create(recipients, cause="event:1", template_key="request.submitted"):
    return notifications_create(
        cause=cause, template_key=template_key, context=CONTEXT, recipients=recipients
    )


def test_rows_are_sent_after_the_commit_and_not_before(webhook, django_capture_on_commit_callbacks):
    person = PersonFactory(phone="13900000011")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        (row,) = create([Recipient(audience="staff", person=person)])
    assert webhook.received == [] and len(callbacks) == 1
    callbacks[0]()
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT and row.attempts == 1 and row.sent_at
    (item,) = webhook.received
    assert item["json"]["text"]["mentioned_mobile_list"] == ["13900000011"]
    assert "JK-20261125-ABCDEFGHJ" in item["json"]["text"]["content"]


def test_the_same_cause_never_writes_two_rows_for_one_recipient_and_channel(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False):
        create([Recipient(audience="resident", phone="13812345678")])
        create([Recipient(audience="resident", phone="13812345678")])
        create([Recipient(audience="resident", phone="13812345678")], cause="event:2")
    assert Notification.objects.filter(idempotency_key__startswith="event:1|").count() == 1
    assert Notification.objects.count() == 2


def test_a_group_robot_gets_one_message_mentioning_every_staff_recipient(
    webhook, django_capture_on_commit_callbacks
):
    people = [PersonFactory(phone=f"1390000002{i}") for i in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        rows = create([Recipient(audience="staff", person=p) for p in people])
    assert len(rows) == 1
    (item,) = webhook.received
    assert item["json"]["text"]["mentioned_mobile_list"] == [p.phone for p in people]


def test_a_user_with_a_person_is_one_recipient_not_two(
    django_capture_on_commit_callbacks, settings
):
    settings.NOTIFICATIONS_ROUTES = {"staff": ["sms"]}
    from tests.organization.factories import UserFactory

    user = UserFactory()
    person = PersonFactory(phone="13900000031", user=user)
    with django_capture_on_commit_callbacks(execute=False):
        rows = create(
            [Recipient(audience="staff", user=user), Recipient(audience="staff", person=person)]
        )
    # One SMS, and one copy in the login's inbox (notifications.Channel.INBOX).
    (row,) = [row for row in rows if row.channel == "sms"]
    assert [row.channel for row in rows if row.channel == "inbox"] == ["inbox"]
    assert (
        row.phone == "13900000031" and row.recipient_person == person and row.recipient_user == user
    )


def test_recipients_without_an_address_for_a_channel_are_skipped(
    django_capture_on_commit_callbacks, settings
):
    settings.NOTIFICATIONS_ROUTES = {"staff": ["sms", "email"]}
    with django_capture_on_commit_callbacks(execute=False):
        rows = create([Recipient(audience="staff", email="only@example.org")])
    assert [r.channel for r in rows] == ["email"]


def test_a_task_delivered_twice_sends_once(webhook, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        (row,) = create([Recipient(audience="staff", person=PersonFactory())])
    assert send_notification.delay(row.pk).get() == "sent"
    assert send_notification.delay(row.pk).get() == "skipped"
    assert len(webhook.received) == 1


def test_a_row_sending_under_a_live_lease_is_left_to_its_worker(webhook, settings):
    row = create([Recipient(audience="staff", person=PersonFactory())])[0]
    Notification.objects.filter(pk=row.pk).update(
        status=NotificationStatus.SENDING, claimed_at=timezone.now()
    )
    assert services.notification_send(notification_id=row.pk) == "skipped"
    # Once the lease has run out, the worker counts as dead and the row is taken over.
    Notification.objects.filter(pk=row.pk).update(
        claimed_at=timezone.now()
        - datetime.timedelta(seconds=settings.NOTIFICATIONS_SENDING_LEASE + 1)
    )
    assert services.notification_send(notification_id=row.pk) == "sent"
    assert len(webhook.received) == 1


def test_a_transient_failure_is_recorded_then_retried_until_dead(webhook, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    row = create([Recipient(audience="staff", person=PersonFactory())])[0]
    webhook.script = [(500, {})] * 3
    for attempt in (1, 2):
        with pytest.raises(TransientSendError):
            services.notification_send(notification_id=row.pk)
        row.refresh_from_db()
        assert row.status == NotificationStatus.FAILED and row.attempts == attempt
        assert "HTTP 500" in row.last_error and row.next_attempt_at > timezone.now()
    assert services.notification_send(notification_id=row.pk) == "dead"
    row.refresh_from_db()
    assert row.status == NotificationStatus.DEAD and row.attempts == 3
    assert services.notification_send(notification_id=row.pk) == "skipped"
    assert webhook.hits == 3 and webhook.received == []


def test_a_permanent_failure_is_dead_at_once_with_its_reason(webhook):
    row = create([Recipient(audience="staff", person=PersonFactory())])[0]
    webhook.script = [(200, {"errcode": 93000, "errmsg": "invalid webhook url"})]
    assert services.notification_send(notification_id=row.pk) == "dead"
    row.refresh_from_db()
    assert row.attempts == 1 and "93000" in row.last_error


def test_in_process_mode_makes_one_attempt_and_leaves_the_row_for_the_sweeper(
    webhook, django_capture_on_commit_callbacks
):
    webhook.script = [(503, {})]
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = create([Recipient(audience="staff", person=PersonFactory())])
    row.refresh_from_db()
    assert row.status == NotificationStatus.FAILED and row.attempts == 1


def test_the_sweeper_sends_what_was_lost_and_leaves_fresh_rows_alone(webhook, settings):
    settings.NOTIFICATIONS_ROUTES = {"staff": ["wecom"]}
    long_ago = timezone.now() - datetime.timedelta(minutes=10)
    lost_pending = create([Recipient(audience="staff", person=PersonFactory())], cause="a")[0]
    fresh_pending = create([Recipient(audience="staff", person=PersonFactory())], cause="b")[0]
    dead_worker = create([Recipient(audience="staff", person=PersonFactory())], cause="c")[0]
    lost_retry = create([Recipient(audience="staff", person=PersonFactory())], cause="d")[0]
    sent = create([Recipient(audience="staff", person=PersonFactory())], cause="e")[0]
    Notification.objects.filter(
        pk__in=[lost_pending.pk, dead_worker.pk, lost_retry.pk, sent.pk]
    ).update(created_at=long_ago)
    Notification.objects.filter(pk=dead_worker.pk).update(
        status=NotificationStatus.SENDING, claimed_at=long_ago, attempts=1
    )
    Notification.objects.filter(pk=lost_retry.pk).update(
        status=NotificationStatus.FAILED, next_attempt_at=long_ago, attempts=1
    )
    Notification.objects.filter(pk=sent.pk).update(status=NotificationStatus.SENT)

    assert services.outbox_sweep() == 3
    statuses = dict(Notification.objects.values_list("pk", "status"))
    assert (
        statuses[lost_pending.pk] == statuses[dead_worker.pk] == statuses[lost_retry.pk] == "sent"
    )
    assert statuses[fresh_pending.pk] == "pending"
    assert len(webhook.received) == 3
    # A second sweep right away finds nothing: re-enqueued rows wait out the grace period.
    assert services.outbox_sweep() == 0


def test_send_again_resets_failed_and_dead_rows_only(webhook, django_capture_on_commit_callbacks):
    dead = create([Recipient(audience="staff", person=PersonFactory())], cause="x")[0]
    sent = create([Recipient(audience="staff", person=PersonFactory())], cause="y")[0]
    Notification.objects.filter(pk=dead.pk).update(status="dead", attempts=5, last_error="HTTP 500")
    Notification.objects.filter(pk=sent.pk).update(status="sent")
    with django_capture_on_commit_callbacks(execute=True):
        count = services.notification_resend(notifications=Notification.objects.all())
    assert count == 1
    dead.refresh_from_db()
    assert dead.status == "sent" and dead.attempts == 1
    assert len(webhook.received) == 1


def test_a_broker_that_cannot_take_the_message_never_reaches_the_caller(monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(send_notifications, "apply_async", refuse)
    assert services.notifications_enqueue(ids=[1, 2, 3]) == 0
    # What the operator reads in the log: how many, why, and that nothing is lost.
    assert (
        "notifications: could not publish 3 of 3 rows (broker down); the sweeper will retry"
        in caplog.messages
    )


def test_the_rows_of_one_commit_go_in_one_message_and_a_sweep_in_chunks(monkeypatch, settings):
    settings.NOTIFICATIONS_BATCH_SIZE = 25
    messages = []
    monkeypatch.setattr(
        send_notifications, "apply_async", lambda args, **kwargs: messages.append(args[0])
    )
    assert services.notifications_enqueue(ids=[7, 8]) == 2
    assert messages == [[7, 8]]
    messages.clear()
    assert services.notifications_enqueue(ids=list(range(60))) == 60
    assert [len(chunk) for chunk in messages] == [25, 25, 10]
    assert sorted(pk for chunk in messages for pk in chunk) == list(range(60))


def test_a_batch_sends_only_its_due_rows(webhook):
    rows = [
        create([Recipient(audience="staff", person=PersonFactory())], cause=f"c{i}")[0]
        for i in range(3)
    ]
    Notification.objects.filter(pk=rows[0].pk).update(status=NotificationStatus.SENT)
    Notification.objects.filter(pk=rows[1].pk).update(
        status=NotificationStatus.SENDING, claimed_at=timezone.now()
    )
    counts = send_notifications.delay([row.pk for row in rows]).get()
    assert counts == {"sent": 1, "skipped": 2}
    assert len(webhook.received) == 1
    assert Notification.objects.get(pk=rows[2].pk).status == NotificationStatus.SENT


def test_a_batch_starts_no_send_after_half_its_lease_and_gives_the_rest_back(
    webhook, settings, caplog
):
    # Each send takes 0.3 s against a lease of 1 s: past 0.5 s the batch sends nothing more
    # (another worker could take the rows over before the send was done), gives the rest back
    # and publishes them again; every row still goes out once, on its first counted attempt.
    settings.NOTIFICATIONS_SENDING_LEASE = 1
    webhook.delay = 0.3
    rows = [
        create([Recipient(audience="staff", person=PersonFactory())], cause=f"slow{i}")[0]
        for i in range(4)
    ]
    counts = send_notifications.delay([row.pk for row in rows]).get()
    # The first row is always sent; the fourth cannot start before 0.9 s.
    assert counts["sent"] >= 1 and counts["released"] >= 1
    assert counts["sent"] + counts["released"] == 4
    assert "given back" in caplog.text
    assert len(webhook.received) == 4
    statuses = list(Notification.objects.values_list("status", "attempts").order_by("pk"))
    assert statuses == [(NotificationStatus.SENT, 1)] * 4


@pytest.mark.parametrize(("seconds_a_send", "sent"), [(20, 3), (25, 2)])
def test_no_send_starts_once_half_the_lease_has_passed(
    webhook, settings, monkeypatch, caplog, seconds_a_send, sent
):
    """With a lease of 100 s, a send may start until 50 s have passed, and none from then on:
    at 20 s a send, the sends start at 0, 20 and 40 s; at 25 s, at 0 and 25 s (not at 50 s).
    The rest is given back, published again, and the log says how many."""
    settings.NOTIFICATIONS_SENDING_LEASE = 100
    rows = [
        create([Recipient(audience="staff", person=PersonFactory())], cause=f"clock{i}")[0]
        for i in range(4)
    ]
    clock = [0.0]
    monkeypatch.setattr(services, "time", type("Clock", (), {"monotonic": lambda: clock[0]}))
    real_send = services._send_one

    def send(row):
        clock[0] += seconds_a_send
        return real_send(row)

    monkeypatch.setattr(services, "_send_one", send)
    published = []
    monkeypatch.setattr(services, "notifications_enqueue", lambda ids: published.append(ids))

    outcomes = services.notifications_send(ids=[row.pk for row in rows])

    pks = [row.pk for row in rows]
    assert [outcomes[pk].outcome for pk in pks] == ["sent"] * sent + ["released"] * (4 - sent)
    assert published == [pks[sent:]]
    assert f"notifications: lease half spent, {4 - sent} of 4 rows given back" in caplog.messages
    assert len(webhook.received) == sent


def test_a_worker_whose_lease_ran_out_cannot_record_over_the_one_that_took_over(
    webhook, settings, caplog
):
    row = create([Recipient(audience="staff", person=PersonFactory())])[0]
    (first,) = services._claim([row.pk])  # a worker that then stalls past its lease
    settings.NOTIFICATIONS_SENDING_LEASE = 0
    assert services.notification_send(notification_id=row.pk) == "sent"  # taken over
    assert not any("taken over" in message for message in caplog.messages)
    # The stalled worker's outcome is not recorded over the one that took the row over, and
    # the log says so.
    assert services._finish(first, NotificationStatus.FAILED, error="late") is False
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT and row.attempts == 2 and row.last_error == ""
    assert caplog.messages[-1] == (
        f"notifications: row {row.pk} was taken over before it was marked failed"
    )
    # The holder of the claim records its outcome: True.
    other = create([Recipient(audience="staff", person=PersonFactory())], cause="other")[0]
    (claimed,) = services._claim([other.pk])
    assert services._finish(claimed, NotificationStatus.SENT, sent_at=timezone.now()) is True
    other.refresh_from_db()
    assert other.status == NotificationStatus.SENT
