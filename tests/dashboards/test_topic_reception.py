"""每月一题 on the 温暖20 agenda: the month's recurring category becomes the topic of the
community's next scheduled reception session, from a button on the topics page, and the public
reception page shows it."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core.exceptions import ApplicationError, OutOfScope
from organization.models import StaffRole
from party_work import services
from party_work.models import ReceptionSession, SessionStatus
from tests.organization.factories import staff_user
from tests.party_work.factories import session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _street_user(world):
    return staff_user(StaffRole.STREET_STAFF, unit=world.s1)


def test_the_category_becomes_the_topic_of_the_next_scheduled_session(world):
    # Past, cancelled and later sessions are not the next one.
    session(world.c1, days_ahead=-3)
    session(world.c1, days_ahead=2, status=SessionStatus.CANCELLED)
    later = session(world.c1, days_ahead=30)
    nearest = session(world.c1, days_ahead=5)
    other = session(world.c2, days_ahead=1)
    result = services.reception_topic_from_month(
        community=world.c1, category=world.garbage, actor=_street_user(world)
    )
    assert result == nearest
    nearest.refresh_from_db()
    assert nearest.topic == "垃圾清运"
    assert set(ReceptionSession.objects.exclude(pk=nearest.pk).values_list("topic", flat=True)) == {
        ""
    }
    assert later.pk != nearest.pk and other.pk != nearest.pk


def test_refused_without_a_scheduled_session(world):
    session(world.c1, days_ahead=-3)
    session(world.c1, days_ahead=5, status=SessionStatus.CANCELLED)
    with pytest.raises(ApplicationError, match="no 温暖20 reception session scheduled"):
        services.reception_topic_from_month(
            community=world.c1, category=world.garbage, actor=_street_user(world)
        )
    assert not ReceptionSession.objects.exclude(topic="").exists()


def test_refused_when_the_next_session_already_has_a_topic(world):
    nearest = session(world.c1, days_ahead=5, topic="路灯")
    session(world.c1, days_ahead=30)
    with pytest.raises(ApplicationError, match="already has a topic: 路灯"):
        services.reception_topic_from_month(
            community=world.c1, category=world.garbage, actor=_street_user(world)
        )
    assert list(ReceptionSession.objects.exclude(topic="").values_list("pk", "topic")) == [
        (nearest.pk, "路灯")
    ]


def test_refused_out_of_scope(world):
    s = session(world.c3, days_ahead=5)
    with pytest.raises(OutOfScope):
        services.reception_topic_from_month(
            community=world.c3, category=world.garbage, actor=_street_user(world)
        )
    s.refresh_from_db()
    assert s.topic == ""


def _client(client, world):
    client.force_login(_street_user(world))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _month():
    return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")


def test_the_button_puts_the_topic_on_the_agenda(client, world):
    s = session(world.c1, days_ahead=5)
    client = _client(client, world)
    topics_url = reverse("dashboards:topics", args=[world.s1.pk])
    url = reverse("dashboards:topic_reception", args=[world.s1.pk])
    # The topics page offers it, as a POST form.
    from .factories import at, request

    month = _month()
    request(world.g1, world.garbage, at(f"{month}-03"))
    html = client.get(topics_url).content.decode()
    assert f'action="{url}"' in html and "Put on the next 温暖20 agenda" in html
    data = {"community": world.c1.pk, "category": world.garbage.pk, "month": month}
    page = client.post(url, data, follow=True)
    assert page.redirect_chain[-1][0] == f"{topics_url}?month={month}"
    s.refresh_from_db()
    assert s.topic == "垃圾清运"
    assert "is on the agenda of the 温暖20 reception" in page.content.decode()
    # A second click changes nothing and says why.
    again = client.post(url, {**data, "category": world.lights.pk}, follow=True)
    assert "already has a topic" in again.content.decode()
    s.refresh_from_db()
    assert s.topic == "垃圾清运"


def test_the_button_is_a_post(client, world):
    url = reverse("dashboards:topic_reception", args=[world.s1.pk])
    assert _client(client, world).get(url).status_code == 405


def test_another_streets_community_is_not_found(client, world):
    s = session(world.c3, days_ahead=5)
    client = _client(client, world)
    data = {"community": world.c3.pk, "category": world.garbage.pk, "month": _month()}
    # Neither under the user's own street nor under the other street's unit.
    for unit in (world.s1, world.s2):
        post = client.post(reverse("dashboards:topic_reception", args=[unit.pk]), data)
        assert post.status_code == 404
    s.refresh_from_db()
    assert s.topic == ""


@pytest.mark.parametrize("month", ["2026-13", "June", "1999-05"])
def test_a_bad_month_is_explained(client, world, month):
    s = session(world.c1, days_ahead=5)
    client = _client(client, world)
    post = client.post(
        reverse("dashboards:topic_reception", args=[world.s1.pk]),
        {"community": world.c1.pk, "category": world.garbage.pk, "month": month},
        follow=True,
    )
    assert post.status_code == 200
    assert "Choose a month and a category" in post.content.decode()
    s.refresh_from_db()
    assert s.topic == ""


def test_the_reception_page_shows_the_topic(client, world):
    with_topic = session(world.c1, days_ahead=5)
    session(world.c3, days_ahead=6)
    services.reception_topic_from_month(community=world.c1, category=world.garbage)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("party_work:reception_list")).content.decode()
    assert html.count("Topic of the month: 垃圾清运") == 1
    with_topic.refresh_from_db()
    assert with_topic.topic == "垃圾清运"
