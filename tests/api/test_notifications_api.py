"""/api/v1/notifications/: the outbox, read-only, scoped, phones masked."""

from notifications.models import Notification
from tests.resident_requests.factories import submit

URL = "/api/v1/notifications/"


def _row(request_id, phone="13811112222", **extra):
    return Notification.objects.create(
        channel="sms",
        template_key="test.message",
        phone=phone,
        request_id=request_id,
        idempotency_key=f"test:{request_id}:{phone}:{extra.get('recipient_user_id')}",
        **extra,
    )


def test_staff_see_the_messages_about_their_requests_masked(w, client_for):
    mine = submit(w, building_index=0)
    other = submit(w, building_index=2, submitter_phone="13912340001")
    Notification.objects.all().delete()
    seen = _row(mine.pk)
    hidden = _row(other.pk)
    to_me = _row(None, recipient_user=w.users["leader"])
    response = client_for(w.users["leader"]).get(URL)
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {seen.pk, to_me.pk}
    assert hidden.pk not in ids
    assert "13811112222" not in response.content.decode()
    assert response.json()["results"][0]["phone"] == "138****2222"


def test_organization_department_sees_the_whole_outbox(w, client_for):
    other = submit(w, building_index=2)
    Notification.objects.all().delete()
    row = _row(other.pk)
    response = client_for(w.users["org"]).get(URL, {"status": "pending"})
    assert row.pk in {r["id"] for r in response.json()["results"]}


def test_outbox_is_read_only(w, client_for):
    client = client_for(w.users["org"])
    assert client.post(URL, {}).status_code == 405
    assert client.get(URL, {"status": "bogus"}).status_code == 400
