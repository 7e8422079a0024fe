"""manage.py resident_data export|erase: a resident's data on their request, audited."""

import json

import pytest
from django.core.management import CommandError, call_command

from ops.models import AuditAction, AuditEvent
from resident_requests.models import ResidentRequest, Status

from .factories import Place, resident_request, supporter

PHONE = "13812345678"


@pytest.mark.django_db
def test_export_writes_every_request_and_support_of_that_phone(tmp_path, django_user_model):
    staff = django_user_model.objects.create_user("clerk", is_staff=True)
    place = Place()
    mine = resident_request(place, phone=PHONE)
    resident_request(place, phone="13700000000", name="李四")
    other = resident_request(place, phone="13600000000", name="王五")
    supporter(other, PHONE)
    out = tmp_path / "export.json"

    call_command("resident_data", "export", PHONE, "--output", str(out), "--by", "clerk")

    data = json.loads(out.read_text(encoding="utf-8"))
    assert [r["code"] for r in data["requests"]] == [mine.code]
    assert data["requests"][0]["name"] == "张三丰"
    assert [s["request"] for s in data["supporting"]] == [other.code]
    event = AuditEvent.objects.get(action=AuditAction.PERSONAL_DATA_EXPORT)
    assert event.actor == staff
    assert PHONE not in event.object_repr  # the audit log itself holds the number masked


@pytest.mark.django_db
def test_erase_anonymizes_that_residents_requests_and_keeps_the_others():
    place = Place()
    mine = resident_request(place, phone=PHONE)
    theirs = resident_request(place, phone="13700000000", name="李四")
    other = resident_request(place, phone="13600000000", name="王五")
    supporter(other, PHONE)

    call_command("resident_data", "erase", PHONE)

    mine.refresh_from_db()
    assert (mine.submitter_name, mine.submitter_phone, mine.address) == ("", "", "")
    assert mine.status == Status.CLOSED
    theirs.refresh_from_db()
    assert theirs.submitter_phone == "13700000000"
    assert not other.supporters.filter(phone=PHONE).exists()
    assert ResidentRequest.objects.count() == 3
    assert AuditEvent.objects.filter(action=AuditAction.PERSONAL_DATA_ERASE).count() == 1


@pytest.mark.django_db
def test_erase_refuses_open_requests_unless_told():
    place = Place()
    open_one = resident_request(place, phone=PHONE, status=Status.DISPATCHED)
    with pytest.raises(CommandError):
        call_command("resident_data", "erase", PHONE)
    open_one.refresh_from_db()
    assert open_one.submitter_phone == PHONE
    call_command("resident_data", "erase", PHONE, "--include-open")
    open_one.refresh_from_db()
    assert open_one.submitter_phone == ""
