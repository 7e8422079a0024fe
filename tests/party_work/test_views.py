"""The public pages (reception days, honour page, a grid's members on duty) and the staff pages."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from organization.models import StaffRole
from party_work import services
from party_work.models import HouseholdVisit, PostKind, ReceptionBooking, VanguardAward
from tests.organization.factories import PersonFactory, staff_user

from .factories import link, session, team


def test_the_public_page_lists_coming_sessions_only(client, p):
    coming = session(p.communities[0], days_ahead=3, place="恒美嘉园工作室")
    session(p.communities[1], days_ahead=-3, place="过去的工作室")
    response = client.get(reverse("party_work:reception_list"))
    assert response.status_code == 200
    assert "恒美嘉园工作室" in response.text and "过去的工作室" not in response.text
    assert reverse("party_work:reception_book", args=[coming.pk]) in response.text


def test_the_public_page_filters_by_community(client, p):
    session(p.communities[0], place="甲工作室")
    session(p.communities[1], place="乙工作室")
    response = client.get(reverse("party_work:reception_list"), {"community": p.communities[1].pk})
    assert "乙工作室" in response.text and "甲工作室" not in response.text


def test_booking_through_the_page(client, p):
    s = session(p.communities[0])
    url = reverse("party_work:reception_book", args=[s.pk])
    response = client.post(url, {"name": "王大爷", "phone": "13912345678", "topic": "停车难"})
    assert response.status_code == 302
    assert response["Location"] == reverse("party_work:reception_booked", args=[s.pk])
    assert ReceptionBooking.objects.filter(session=s).count() == 1
    page = client.get(response["Location"])
    assert "13912345678" not in page.text


def test_a_refused_booking_shows_the_message_and_saves_nothing(client, p):
    s = session(p.communities[0], capacity=1)
    services.reception_book(session=s, name="甲", phone="13900000001", topic="一")
    url = reverse("party_work:reception_book", args=[s.pk])
    response = client.post(url, {"name": "乙", "phone": "13900000002", "topic": "二"})
    assert response.status_code == 400
    assert (
        _("This session is full. Please choose another date or another community.") in response.text
    )
    assert ReceptionBooking.objects.count() == 1


def test_an_invalid_form_keeps_what_was_typed(client, p):
    s = session(p.communities[0])
    url = reverse("party_work:reception_book", args=[s.pk])
    response = client.post(url, {"name": "王大爷", "phone": "123", "topic": "停车难"})
    assert response.status_code == 200
    assert "王大爷" in response.text and not ReceptionBooking.objects.exists()


def test_the_honour_page_shows_name_and_branch_only(client, p):
    member = p.members[0]
    VanguardAward.objects.create(
        person=member, branch=member.membership_unit, year=2026, quarter=1, citation="内部评语"
    )
    response = client.get(reverse("party_work:honour"))
    assert member.name in response.text and member.membership_unit.name in response.text
    assert member.phone not in response.text and "内部评语" not in response.text


def test_a_grids_page_lists_its_teams_and_claimed_posts_with_masked_names(client, p):
    member = p.members[0]
    team(p.grids[0], members=[member], name="红帆志愿服务队")
    services.post_claim(
        person=member, grid=p.grids[0], post=PostKind.MEDIATION, start_date=timezone.localdate()
    )
    response = client.get(reverse("party_work:grid_duty", args=[p.grids[0].pk]))
    assert "红帆志愿服务队" in response.text
    assert str(PostKind.MEDIATION.label) in response.text
    assert member.name not in response.text and member.name[0] + "*" in response.text


def test_the_visit_list_is_for_staff_in_scope(client, p):
    mine = link(p.households[0], address="京口路1号101室")
    link(p.other_household, address="外街道2号202室")
    url = reverse("party_work:visits_due")
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(staff_user(StaffRole.COMMUNITY_STAFF, unit=p.communities[0]))
    response = client.get(url)
    assert "京口路1号101室" in response.text and "外街道2号202室" not in response.text
    response = client.post(
        reverse("party_work:household_visit", args=[mine.pk]),
        {"visited_on": timezone.localdate().isoformat(), "next": url},
    )
    assert response.status_code == 302 and response["Location"] == url
    assert HouseholdVisit.objects.filter(link=mine).exists()
    assert client.get(url).context["total"] == 0


def test_staff_cannot_log_visits_outside_their_scope(client, p):
    other = link(p.other_household)
    client.force_login(staff_user(StaffRole.COMMUNITY_STAFF, unit=p.communities[0]))
    response = client.post(
        reverse("party_work:household_visit", args=[other.pk]),
        {"visited_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 404 and not HouseholdVisit.objects.exists()


def test_the_ranking_page_awards_the_title(client, p):
    member = p.members[0]
    services.household_visit_log(
        link=link(p.households[0]), visited_on=timezone.localdate(), visitor=member
    )
    client.force_login(staff_user(StaffRole.STREET_STAFF, unit=p.street))
    response = client.get(reverse("party_work:ranking"))
    assert member.name in response.text
    today = timezone.localdate()
    response = client.post(
        reverse("party_work:ranking_award"),
        {"person": member.pk, "year": today.year, "quarter": (today.month - 1) // 3 + 1},
    )
    assert response.status_code == 302
    award = VanguardAward.objects.get()
    assert award.person == member and award.points == 3


def test_making_a_request_of_a_booking(client, p):
    from resident_requests.models import Category, Channel, ResidentRequest

    top = Category.objects.create(code="t", name="环境卫生")
    category = Category.objects.create(code="c", name="楼道照明", parent=top)
    s = session(p.communities[0], days_ahead=-1)
    booking = ReceptionBooking.objects.create(
        session=s, name="王大爷", phone="13912345678", topic="楼道灯坏了"
    )
    client.force_login(staff_user(StaffRole.COMMUNITY_STAFF, unit=p.communities[0]))
    url = reverse("party_work:booking_to_request", args=[booking.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"building": p.buildings[0].pk, "category": category.pk, "description": "楼道灯坏了"}
    )
    assert response.status_code == 302
    assert ResidentRequest.objects.get().channel == Channel.RECEPTION_DAY


def test_home_page_links_to_the_reception_days(client, db):
    response = client.get(reverse("home"))
    assert reverse("party_work:reception_list") in response.text


def test_community_staff_rank_their_community(client, p):
    member = p.members[0]
    services.household_visit_log(
        link=link(p.households[0]), visited_on=timezone.localdate(), visitor=member
    )
    client.force_login(staff_user(StaffRole.COMMUNITY_STAFF, unit=p.communities[0]))
    response = client.get(reverse("party_work:ranking"))
    assert response.status_code == 200
    assert response.context["unit"] == p.communities[0]
    assert [row.person_id for row in response.context["rows"]] == [member.pk]
    assert not response.context["can_award"]


def test_booking_posts_are_limited_per_address(client, p, settings):
    from party_work import views

    s = session(p.communities[0], capacity=50)
    url = reverse("party_work:reception_book", args=[s.pk])
    for i in range(views.BOOKING_POSTS_PER_HOUR):
        response = client.post(url, {"name": "甲", "phone": f"139000000{i:02d}", "topic": "一"})
        assert response.status_code == 302
    response = client.post(url, {"name": "乙", "phone": "13911111111", "topic": "二"})
    assert response.status_code == 429
    assert ReceptionBooking.objects.count() == views.BOOKING_POSTS_PER_HOUR


def test_a_stations_page_links_to_the_party_members_of_the_grids_it_serves(client, p):
    from tests.grids.factories import station

    s = station(p.communities[0], grids=[p.grids[0]])
    response = client.get(reverse("grids:station_detail", args=[s.pk]))
    assert reverse("party_work:grid_duty", args=[p.grids[0].pk]) in response.text


@pytest.mark.parametrize("who", ["other_street", "no_branch"])
def test_refusing_an_award_names_nobody_out_of_scope(client, p, who):
    from django.conf import settings
    from django.utils import translation

    person = p.other_member if who == "other_street" else PersonFactory(name="邓建国")
    client.force_login(staff_user(StaffRole.STREET_STAFF, unit=p.street))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override(settings.LANGUAGE_CODE):  # the request's English stays in it
        response = client.post(
            reverse("party_work:ranking_award"),
            {"person": person.pk, "year": 2026, "quarter": 1},
            follow=True,
        )
    shown = [str(m) for m in response.context["messages"]]
    assert any("not a party member" in m for m in shown), shown
    assert person.name not in response.text
    assert not VanguardAward.objects.exists()
