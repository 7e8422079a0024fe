"""What the outbox forgets, for personal-data retention and erasure (notifications_anonymize,
notifications_forget_finished): an auditor checks that the addresses and contexts of finished
messages are blanked, that a message still to go out keeps them, and that the counts reported
are right (found by `make mutants`)."""

import datetime
from functools import partial

import pytest
from django.utils import timezone

from notifications.models import Channel, Notification, NotificationStatus
from notifications.services import notifications_anonymize, notifications_forget_finished

from .factories import outbox_row

pytestmark = pytest.mark.django_db

_row = partial(
    outbox_row,
    template_key="request.received",
    context={"code": "JK-20261125-ABCDEFGHJ"},
    status=NotificationStatus.SENT,
)


def _state(row: Notification) -> tuple[str, str, dict]:
    row.refresh_from_db()
    return row.phone, row.email, row.context


# --- notifications_anonymize(request_ids=...) ---------------------------------------------------


def test_finished_messages_about_the_requests_lose_address_and_context():
    sent = _row(request_id=1)
    dead = _row(request_id=1, status=NotificationStatus.DEAD)
    mail = _row(
        request_id=2,
        channel=Channel.EMAIL,
        phone="",
        email="resident@example.org",
        context={"a": 1},
    )

    assert notifications_anonymize(request_ids=[1, 2]) == 3

    assert _state(sent) == ("", "", {})
    assert _state(dead) == ("", "", {})
    assert _state(mail) == ("", "", {})


def test_messages_still_to_go_out_and_other_requests_keep_their_address():
    pending = _row(request_id=1, status=NotificationStatus.PENDING)
    failed = _row(request_id=1, status=NotificationStatus.FAILED)
    sending = _row(request_id=1, status=NotificationStatus.SENDING)
    other = _row(request_id=2)

    assert notifications_anonymize(request_ids=iter([1])) == 0

    for row in (pending, failed, sending):
        assert _state(row) == ("13812345678", "", {"code": "JK-20261125-ABCDEFGHJ"})
    assert _state(other)[0] == "13812345678"


def test_rows_without_an_address_are_not_counted_again():
    # A robot message has no address of its own: nothing of a person to forget there.
    _row(request_id=1, channel=Channel.WECOM, phone="")
    assert notifications_anonymize(request_ids=[1]) == 0


def test_no_requests_and_no_phone_changes_nothing():
    row = _row(request_id=1)
    assert notifications_anonymize() == 0
    assert notifications_anonymize(request_ids=[]) == 0
    assert _state(row)[0] == "13812345678"


# --- notifications_anonymize(phone=...) ---------------------------------------------------------


def test_erasing_a_phone_blanks_every_row_to_it_whatever_its_state():
    pending = _row(status=NotificationStatus.PENDING, email="x@example.org")
    sent = _row()
    other = _row(phone="13900000000")

    assert notifications_anonymize(phone="13812345678") == 2

    # The number and the context go; the e-mail address is not the number erased.
    assert _state(pending) == ("", "x@example.org", {})
    assert _state(sent) == ("", "", {})
    assert _state(other) == ("13900000000", "", {"code": "JK-20261125-ABCDEFGHJ"})


def test_requests_and_phone_together_add_up():
    _row(request_id=1, phone="13700000000")
    _row(phone="13812345678", status=NotificationStatus.PENDING)
    assert notifications_anonymize(request_ids=[1], phone="13812345678") == 2


# --- notifications_forget_finished ----------------------------------------------------------------


def _aged(row: Notification, minutes: int) -> Notification:
    Notification.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )
    return row


def test_one_time_codes_that_went_out_before_the_cutoff_are_forgotten():
    cutoff = timezone.now() - datetime.timedelta(minutes=10)
    old_sent = _aged(_row(template_key="otp", context={"code": "123456"}), 20)
    old_dead = _aged(_row(template_key="otp", status=NotificationStatus.DEAD), 20)
    old_mail = _aged(
        _row(template_key="otp", channel=Channel.EMAIL, phone="", email="a@example.org"), 20
    )
    # Only a context left (a robot row): it is blanked too.
    old_robot = _aged(_row(template_key="otp", channel=Channel.WECOM, phone=""), 20)
    young = _aged(_row(template_key="otp", context={"code": "654321"}), 5)
    pending = _aged(_row(template_key="otp", status=NotificationStatus.PENDING), 20)
    failed = _aged(_row(template_key="otp", status=NotificationStatus.FAILED), 20)
    other_template = _aged(_row(template_key="request.received"), 20)

    assert notifications_forget_finished(template_key="otp", before=cutoff) == 4

    for row in (old_sent, old_dead, old_mail, old_robot):
        assert _state(row) == ("", "", {})
    assert _state(young) == ("13812345678", "", {"code": "654321"})
    for row in (pending, failed, other_template):
        assert _state(row)[0] == "13812345678" and _state(row)[2]


def test_a_row_written_at_the_cutoff_itself_is_kept():
    cutoff = timezone.now() - datetime.timedelta(minutes=10)
    row = _row(template_key="otp")
    Notification.objects.filter(pk=row.pk).update(created_at=cutoff)
    assert notifications_forget_finished(template_key="otp", before=cutoff) == 0
    assert _state(row)[0] == "13812345678"


def test_rows_already_forgotten_are_not_counted_again():
    cutoff = timezone.now() - datetime.timedelta(minutes=10)
    _aged(_row(template_key="otp"), 20)
    assert notifications_forget_finished(template_key="otp", before=cutoff) == 1
    assert notifications_forget_finished(template_key="otp", before=cutoff) == 0
