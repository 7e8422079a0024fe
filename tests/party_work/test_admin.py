"""The admin pages are scoped: staff see and pick only what lies in their scope."""

from django.urls import reverse
from django.utils import timezone

from organization.models import StaffRole
from party_work.models import CoBuildingUnit, HouseholdVisit
from tests.organization.factories import staff_user

from .factories import link, session, team


def test_household_links_are_scoped_and_phones_masked(client, p):
    link(p.households[0], address="京口路1号", contact_phone="13711112222")
    link(p.other_household, address="外街道2号")
    client.force_login(staff_user(StaffRole.COMMUNITY_STAFF, unit=p.communities[0]))
    response = client.get(reverse("admin:party_work_householdlink_changelist"))
    assert response.status_code == 200
    assert "京口路1号" in response.text and "外街道2号" not in response.text
    assert "13711112222" not in response.text and "137****2222" in response.text


def test_the_due_filter_and_the_visit_action(client, p):
    due = link(p.households[0])
    client.force_login(staff_user(StaffRole.COMMUNITY_STAFF, unit=p.communities[0]))
    url = reverse("admin:party_work_householdlink_changelist")
    assert client.get(url, {"visit": "due"}).status_code == 200
    client.post(url, {"action": "visited_today", "_selected_action": [due.pk]})
    assert HouseholdVisit.objects.get().visited_on == timezone.localdate()


def test_teams_of_other_streets_are_hidden(client, p):
    team(p.grids[0], name="甲队")
    team(p.other_grid, name="乙队")
    client.force_login(staff_user(StaffRole.STREET_STAFF, unit=p.street))
    response = client.get(reverse("admin:party_work_volunteerteam_changelist"))
    assert "甲队" in response.text and "乙队" not in response.text


def test_sessions_list_their_bookings_with_a_link_to_make_a_request(client, p):
    from party_work import services

    s = session(p.communities[0])
    booking = services.reception_book(session=s, name="王大爷", phone="13912345678", topic="停车")
    client.force_login(staff_user(StaffRole.COMMUNITY_STAFF, unit=p.communities[0]))
    response = client.get(reverse("admin:party_work_receptionsession_change", args=[s.pk]))
    assert response.status_code == 200
    assert reverse("party_work:booking_to_request", args=[booking.pk]) in response.text
    assert "13912345678" not in response.text


def test_community_staff_see_the_co_building_units_paired_with_them(client, p):
    paired = CoBuildingUnit.objects.create(name="供电公司", kind="company", street=p.street)
    paired.communities.add(p.communities[0])
    CoBuildingUnit.objects.create(name="水务集团", kind="company", street=p.street)
    client.force_login(staff_user(StaffRole.COMMUNITY_STAFF, unit=p.communities[0]))
    response = client.get(reverse("admin:party_work_cobuildingunit_changelist"))
    assert "供电公司" in response.text and "水务集团" not in response.text
