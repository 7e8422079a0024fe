"""Open311 is public: descriptions only where the resident allowed it and then redacted, the
building's address without the room, staff notes redacted, media_url only for approved photos."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.privacy import redaction_marker
from resident_requests import services
from resident_requests.models import RequestPhoto
from tests.resident_requests.factories import image_bytes, submit

from .test_views import get_both

SECRET_TEXT = "我是9号楼302室的张桂英，请打我电话136 1234 5678，邮箱 gy@qq.com"
SECRETS = ["302", "张桂英", "1234 5678", "5678", "gy@qq.com", "2单元"]

pytestmark = pytest.mark.usefixtures("english")


def both_bodies(client, path, params=None):
    _status, data, xml = get_both(client, path, params)
    return data, json.dumps(data, ensure_ascii=False) + xml.decode()


def test_a_private_requests_description_is_not_published(w, client):
    request = submit(w, submitter_name="张桂英", description=SECRET_TEXT, address="2单元302")
    (record,), body = both_bodies(client, f"requests/{request.public_id}")
    assert record["description"] == ""
    assert record["address"] == w.buildings[0].address
    for secret in SECRETS:
        assert secret not in body


def test_a_public_requests_description_is_redacted(w, client):
    request = submit(
        w, submitter_name="张桂英", description=SECRET_TEXT, address="2单元302", public_allowed=True
    )
    data, body = both_bodies(client, "requests")
    (record,) = [r for r in data if r["service_request_id"] == request.public_id]
    assert "请打我电话" in record["description"]
    assert redaction_marker() in record["description"]
    for secret in SECRETS:
        assert secret not in body


def test_staff_notes_are_redacted_in_status_notes_and_updates(w, client):
    request = submit(w, submitter_name="张桂英")
    services.request_accept(
        request=request, actor=w.users["leader"], note="已电话联系张桂英 13612345678"
    )
    (record,), body = both_bodies(client, f"requests/{request.public_id}")
    assert record["status_notes"].startswith("已电话联系")
    _data, updates = both_bodies(
        client, "servicerequestupdates", {"service_request_id": request.public_id}
    )
    assert "已电话联系" in updates
    for text in (body, updates):
        assert "张桂英" not in text and "13612345678" not in text


def test_media_url_only_for_approved_photos(w, client):
    request = submit(w)
    photo = RequestPhoto.objects.create(
        request=request, stage="submission", image=SimpleUploadedFile("a.jpg", image_bytes())
    )
    (record,), body = both_bodies(client, f"requests/{request.public_id}")
    assert "media_url" not in record and photo.image.url not in body
    services.photo_public_set(photo=photo, actor=w.users["leader"], approved=True)
    (record,), _body = both_bodies(client, f"requests/{request.public_id}")
    assert record["media_url"].endswith(photo.image.url)
