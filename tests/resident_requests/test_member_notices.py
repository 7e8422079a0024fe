"""Nobody left uninformed (issue 16, points 6b-6d): the grid leader's note reaches the member,
a member's decline reaches the grid leader, departments find what waits for their 报到."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from notifications.models import Channel, Notification
from notifications.services import message_for
from resident_requests import services
from resident_requests.models import HandlingLevel

from .factories import at_level, submit

pytestmark = pytest.mark.django_db
LIST = reverse("admin:resident_requests_residentrequest_changelist")


def _accepted(w):
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    return request


def test_the_dispatch_note_is_on_the_members_order_page_and_in_their_message(client, w):
    member = w.members[0]
    request = _accepted(w)
    note = "先联系李阿姨13912345678，她住3单元502室"
    services.request_dispatch(request=request, actor=w.users["leader"], assignee=member, note=note)
    client.force_login(member.user)
    page = client.get(reverse("resident_requests:member_order", args=[request.code]))
    assert note in page.content.decode()  # the member's own page: the note as written
    (row,) = Notification.objects.filter(
        recipient_person=member, channel=Channel.SMS, request_id=request.pk
    )
    assert row.template_key == "request.dispatched_note"
    with translation.override("en"):
        text = message_for(row).text
    # The message quotes the note without the phone number, the room or the resident's name.
    assert "13912345678" not in text and "502" not in text and "李阿姨" not in text
    assert "先联系" in text and request.code in text
    # The member's login gets it in the inbox too.
    assert Notification.objects.filter(
        recipient_user=member.user, channel=Channel.INBOX, template_key="request.dispatched_note"
    ).exists()


def test_no_note_no_note_line_and_another_members_order_shows_nothing(client, w):
    request = _accepted(w)
    services.request_dispatch(request=request, actor=w.users["leader"], assignee=w.members[0])
    (row,) = Notification.objects.filter(recipient_person=w.members[0], channel=Channel.SMS)
    assert row.template_key == "request.dispatched"
    client.force_login(w.members[0].user)
    page = client.get(reverse("resident_requests:member_order", args=[request.code]))
    assert 'id="dispatch-note"' not in page.content.decode()


def test_a_decline_tells_the_grid_leader_at_once(w):
    member = w.members[0]
    request = _accepted(w)
    services.request_dispatch(request=request, actor=w.users["leader"], assignee=member)
    services.request_decline(request=request, actor=member.user, reason="这周出差，电话13812345678")
    rows = Notification.objects.filter(template_key="request.declined", request_id=request.pk)
    # The grid leader's login (who dispatched it) in the inbox; the grid's leader by SMS.
    assert rows.filter(recipient_user=w.users["leader"], channel=Channel.INBOX).exists()
    with translation.override("en"):
        texts = [message_for(row).text for row in rows]
    assert texts and all(request.code in t and "13812345678" not in t for t in texts)
    assert all("这周出差" in t for t in texts)


def _department_world(w):
    waiting = at_level(w, HandlingLevel.DEPARTMENT)
    reported = at_level(w, HandlingLevel.DEPARTMENT)
    services.department_acknowledge(
        request=reported, department=w.department, actor=w.users["dept"]
    )
    return waiting, reported


def test_the_departments_list_filters_what_waits_for_its_report(client, w):
    waiting, reported = _department_world(w)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(w.users["dept"])
    page = client.get(LIST)
    assert "Waiting for our 报到" in page.content.decode()
    listed = {r.code for r in client.get(LIST + "?report=waiting").context["cl"].result_list}
    assert listed == {waiting.code}
    listed = {r.code for r in client.get(LIST + "?report=working").context["cl"].result_list}
    assert listed == {reported.code}
    # The other department has reported on neither: both wait for it.
    client.force_login(w.users["dept2"])
    listed = {r.code for r in client.get(LIST + "?report=waiting").context["cl"].result_list}
    assert listed == {waiting.code, reported.code}


def test_the_filter_is_offered_to_departments_only_and_the_todo_links_it(client, w):
    _department_world(w)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(w.users["leader"])
    assert "Waiting for our 报到" not in client.get(LIST).content.decode()
    assert (
        'id="waiting-report"' not in client.get(reverse("resident_requests:todo")).content.decode()
    )
    client.force_login(w.users["dept"])
    todo = client.get(reverse("resident_requests:todo")).content.decode()
    assert 'id="waiting-report"' in todo and "report=waiting" in todo
