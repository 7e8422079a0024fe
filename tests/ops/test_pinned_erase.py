"""Erasure on a resident's wish (manage.py resident_data erase), as the resident and an auditor see
it: every message to the number is forgotten, another resident's open request does not stand in
the way, the refusal says why, and the audit row says who erased what (found by `make mutants`)."""

import pytest
from django.core.management import CommandError, call_command

from core.exceptions import ApplicationError
from core.privacy import mask_phone
from notifications.models import Channel, Notification, NotificationStatus
from ops.models import AuditAction, AuditEvent
from ops.services import resident_data_erase
from resident_requests.models import Status

from .factories import Place, resident_request, supporter

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
OTHER = "13700001111"


def _message(phone, status, key, request=None):
    return Notification.objects.create(
        request_id=request.pk if request else None,
        phone=phone,
        channel=Channel.SMS,
        template_key="request.resolved",
        context={"code": "JK-1", "link": "https://example.test/t/abc"},
        status=status,
        idempotency_key=key,
    )


def test_erase_forgets_every_message_to_that_number_and_audits_who_did_it(
    django_user_model, capsys
):
    clerk = django_user_model.objects.create_user("clerk", is_staff=True)
    place = Place()
    mine = resident_request(place, phone=PHONE)
    supporter(mine, "13600002222")  # a neighbour said "me too" on the resident's request
    # The resident also said "me too" on a neighbour's request.
    supporter(resident_request(place, phone=OTHER, name="李四"), PHONE)
    # A one-time code still waiting to go out, tied to no request: erased all the same.
    code = _message(PHONE, NotificationStatus.PENDING, "code")
    sent = _message(PHONE, NotificationStatus.SENT, "sent", request=mine)
    theirs = _message(OTHER, NotificationStatus.SENT, "theirs")

    call_command("resident_data", "erase", PHONE, "--by", "clerk")

    for row in (code, sent):
        row.refresh_from_db()
        assert (row.phone, row.context) == ("", {})
    theirs.refresh_from_db()
    assert theirs.phone == OTHER
    out = capsys.readouterr().out
    assert "1 requests anonymized, 2 'me too' entries" in out  # on theirs, and on the neighbour's
    assert "2 notifications cleared" in out
    event = AuditEvent.objects.get(action=AuditAction.PERSONAL_DATA_ERASE)
    assert event.actor == clerk
    assert event.object_type == "resident"
    assert event.object_repr == mask_phone(PHONE) and PHONE not in event.object_repr
    assert event.detail == "requests=1 supporters=2 photos=0 notifications=2"


def test_another_residents_open_request_does_not_stop_the_erasure():
    place = Place()
    mine = resident_request(place, phone=PHONE, status=Status.CLOSED)
    open_other = resident_request(place, phone=OTHER, name="李四", status=Status.DISPATCHED)

    call_command("resident_data", "erase", PHONE)

    mine.refresh_from_db()
    open_other.refresh_from_db()
    assert mine.submitter_phone == ""
    assert open_other.submitter_phone == OTHER


def test_the_refusal_says_how_many_requests_are_open_and_how_to_erase_anyway():
    place = Place()
    resident_request(place, phone=PHONE, status=Status.DISPATCHED)
    resident_request(place, phone=PHONE, status=Status.ACCEPTED)
    resident_request(place, phone=PHONE, status=Status.CLOSED)

    with pytest.raises(CommandError) as refused:
        call_command("resident_data", "erase", PHONE)
    assert str(refused.value) == (
        "该居民有 2 件诉求尚未办结，办理仍需要手机号码。请等办结后再删除，或使用 --include-open 强制删除。"
    )
    # Called without the flag, the service refuses as well: open requests are kept by default.
    with pytest.raises(ApplicationError):
        resident_data_erase(phone=PHONE)
    assert not AuditEvent.objects.filter(action=AuditAction.PERSONAL_DATA_ERASE).exists()


def test_a_blank_number_is_refused_with_a_message():
    with pytest.raises(CommandError) as refused:
        call_command("resident_data", "erase", "  ")
    assert str(refused.value).strip() not in ("", "None")
