"""The timeline names whoever acted by role and surname only (personal information: never a full
name), pinned (mutation testing found nothing held the surname): the party member's from their
record, staff's from their account."""

import pytest

from resident_requests import services
from resident_requests.models import EventKind, RequestEvent

from .factories import submit

pytestmark = pytest.mark.django_db


def test_the_timeline_keeps_only_the_surname_of_whoever_acted(w):
    leader = w.users["leader"]
    leader.last_name, leader.first_name = "李", "建国"
    leader.save()
    member = w.members[0]
    member.name = "王小明"
    member.save()
    request = submit(w)
    services.request_accept(request=request, actor=leader)
    services.request_dispatch(request=request, actor=leader, assignee=member)
    services.request_take(request=request, actor=member.user)
    events = RequestEvent.objects.filter(request=request)
    assert events.get(kind=EventKind.SUBMITTED).actor_surname == ""  # the resident: nobody's
    assert events.get(kind=EventKind.ACCEPTED).actor_surname == "李"
    taken = events.get(kind=EventKind.TAKEN)
    assert taken.actor_surname == "王"
    assert taken.public_actor.endswith(" 王")
