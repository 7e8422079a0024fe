"""Every display of full personal data to staff leaves exactly one audit row, and only a display.

The pages: the admin detail pages of requests, households in contact, visits, reception
bookings, people, co-building units and departments; the lists that keep a full address; the
90-day visit page, the booking-to-request page and the member's order page.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import ops.services
from notifications.models import Notification
from ops.models import AuditAction, AuditEvent
from organization.models import Department, DepartmentLevel, StaffRole
from party_work.models import CoBuildingUnit, HouseholdVisit, ReceptionBooking
from resident_requests.models import Category, PhoneDisclosure, ResidentRequest, Status
from tests.organization.factories import PersonFactory, staff_user
from tests.party_work.factories import link, session
from tests.party_work.factories import place as party_place

VIEW, LIST = AuditAction.PERSONAL_DATA_VIEW, AuditAction.PERSONAL_DATA_LIST
AUDIT = "/admin/ops/auditevent/"


def displays(**filters):
    return AuditEvent.objects.filter(action__in=[VIEW, LIST], **filters).order_by("id")


def a_request(p, **extra) -> ResidentRequest:
    parent, _ = Category.objects.get_or_create(code="aud", defaults={"name": "环境卫生"})
    category, _ = Category.objects.get_or_create(
        code="aud-light", defaults={"name": "楼道照明", "parent": parent}
    )
    return ResidentRequest.objects.create(
        submitter_name=extra.pop("name", "李秀英"),
        submitter_phone="13955556666",
        building=p.buildings[0],
        grid=p.grids[0],
        address=extra.pop("address", "京口路8号3单元502室"),
        category=category,
        description="楼道灯坏了",
        **extra,
    )


@pytest.fixture
def p(db):
    return party_place()


@pytest.fixture
def community_staff(p):
    return staff_user(StaffRole.COMMUNITY_STAFF, unit=p.communities[0])


# --- Detail pages in the admin --------------------------------------------------------------------


def _detail_pages(p):
    """(admin url name, object, user, the kinds the page shows, a value only the full page has)"""
    household = link(p.households[0], contact_name="赵淑芬", contact_phone="13711112222")
    visit = HouseholdVisit.objects.create(
        link=household, visited_on=household.created_at.date(), visitor=p.members[0]
    )
    booking = ReceptionBooking.objects.create(
        session=session(p.communities[0]), name="王大爷", phone="13912345678", topic="停车"
    )
    unit = CoBuildingUnit.objects.create(
        name="供电公司", kind="company", street=p.street, contact_phone="13600001111"
    )
    department = Department.objects.create(
        name="区住建局", code="AUD1", level=DepartmentLevel.DISTRICT, contact_phone="13500002222"
    )
    notification = Notification.objects.create(
        channel="email",
        email="wang.li@example.org",
        template_key="request.submitted",
        context={"code": "JK-1", "grid": "网格", "category": "垃圾", "deadline": ""},
        idempotency_key="audit-email",
    )
    community = staff_user(StaffRole.COMMUNITY_STAFF, unit=p.communities[0])
    street = staff_user(StaffRole.STREET_STAFF, unit=p.street)
    orgdept = staff_user(StaffRole.ORG_DEPARTMENT, unit=p.district)
    return [
        (
            "resident_requests_residentrequest",
            a_request(p),
            community,
            "name, phone, address",
            "13955556666",
        ),
        ("party_work_householdlink", household, community, "name, phone, address", "13711112222"),
        ("party_work_householdvisit", visit, community, "address", household.address),
        ("party_work_receptionbooking", booking, community, "name, phone", "13912345678"),
        ("organization_person", p.members[0], community, "name, phone", p.members[0].phone),
        ("party_work_cobuildingunit", unit, street, "name, phone", "13600001111"),
        ("organization_department", department, orgdept, "name, phone, email", "13500002222"),
        ("notifications_notification", notification, orgdept, "email", "wang.li@example.org"),
    ]


@pytest.mark.django_db
def test_each_admin_detail_page_records_one_display_with_user_object_and_kinds(client, p):
    for name, obj, user, kinds, secret in _detail_pages(p):
        client.force_login(user)
        before = displays().count()
        response = client.get(reverse(f"admin:{name}_change", args=[obj.pk]))
        assert response.status_code == 200, name
        assert secret in response.text, name
        new = list(displays()[before:])
        assert len(new) == 1, name
        event = new[0]
        assert event.action == VIEW
        assert (event.actor_id, event.actor_username) == (user.pk, user.username)
        assert event.object_type == obj._meta.label_lower
        assert event.object_id == str(obj.pk)
        assert f"fields: {kinds}\n" in event.detail
        assert f"page: admin:{name}_change" in event.detail
        # The audit row itself names no one: a code or the model and id, never str(obj).
        assert str(obj) not in event.object_repr or obj._meta.model_name == "residentrequest"


@pytest.mark.django_db
def test_the_request_page_is_one_row_while_the_phone_disclosure_stays(client, p, community_staff):
    request = a_request(p)
    client.force_login(community_staff)
    client.get(reverse("admin:resident_requests_residentrequest_change", args=[request.pk]))
    client.get(reverse("admin:resident_requests_residentrequest_change", args=[request.pk]))
    rows = list(displays(object_id=str(request.pk)))
    assert len(rows) == 2  # two views, two rows; not four (the disclosure copy is skipped)
    assert all(r.detail.startswith("fields: name, phone, address") for r in rows)
    assert rows[0].object_repr == request.code
    # The requests app's own record of who saw the phone is still written.
    assert PhoneDisclosure.objects.filter(request=request, user=community_staff).count() == 2


@pytest.mark.django_db
def test_a_post_save_in_the_admin_is_a_change_not_a_display(client, p, community_staff):
    person = p.members[0]
    client.force_login(community_staff)
    url = reverse("admin:organization_person_change", args=[person.pk])
    response = client.post(
        url,
        {
            "name": "改名字",
            "phone": person.phone,
            "political_status": person.political_status,
            "membership_unit": person.membership_unit_id,
        },
    )
    assert response.status_code == 302, getattr(response, "context_data", {}).get("errors")
    person.refresh_from_db()
    assert person.name == "改名字"
    assert not displays().exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.ADMIN_CHANGE, object_id=str(person.pk)
    ).exists()


@pytest.mark.django_db
def test_refused_users_leave_no_display_row(client, p, community_staff):
    theirs = link(p.other_household, contact_phone="13722223333")
    client.force_login(community_staff)
    # Out of scope: the admin answers as if the object did not exist.
    response = client.get(reverse("admin:party_work_householdlink_change", args=[theirs.pk]))
    assert response.status_code == 302
    booking = ReceptionBooking.objects.create(
        session=session(p.communities[0]), name="王大爷", phone="13912345678", topic="停车"
    )
    # A grid leader has no permission on bookings at all.
    client.force_login(staff_user(StaffRole.GRID_LEADER, unit=p.communities[0]))
    response = client.get(reverse("admin:party_work_receptionbooking_change", args=[booking.pk]))
    assert response.status_code == 403
    # Staff of another street cannot make a request of this booking.
    client.force_login(staff_user(StaffRole.COMMUNITY_STAFF, unit=p.other_street))
    response = client.get(reverse("party_work:booking_to_request", args=[booking.pk]))
    assert response.status_code == 404
    assert not displays().exists()
    assert not PhoneDisclosure.objects.exists()


# --- Lists ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_household_list_masks_names_and_records_its_addresses_once(client, p, community_staff):
    links = [link(p.households[0], contact_name="赵淑芬"), link(p.households[0])]
    link(p.other_household)
    client.force_login(community_staff)
    response = client.get(reverse("admin:party_work_householdlink_changelist"))
    assert response.status_code == 200
    assert "赵淑芬" not in response.text and "赵**" in response.text
    assert links[0].address in response.text
    (event,) = displays()
    assert event.action == LIST and event.actor_id == community_staff.pk
    ids = event.detail.split("ids: ")[1].split(", ")
    assert sorted(ids) == sorted(str(x.pk) for x in links)
    assert "fields: address" in event.detail


@pytest.mark.django_db
def test_lists_with_masked_data_record_nothing(client, p, community_staff):
    ReceptionBooking.objects.create(
        session=(s := session(p.communities[0])), name="王大爷", phone="13912345678", topic="停车"
    )
    a_request(p)
    client.force_login(community_staff)
    for url in (
        reverse("admin:party_work_receptionbooking_changelist"),
        reverse("admin:party_work_receptionsession_change", args=[s.pk]),
        reverse("admin:resident_requests_residentrequest_changelist"),
        reverse("admin:organization_person_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "王大爷" not in response.text and "13912345678" not in response.text, url
        assert "13955556666" not in response.text and "李秀英" not in response.text, url
    assert not displays().exists()


# --- Staff pages outside the admin ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_visit_list_records_one_row_naming_its_households(client, p, community_staff):
    due = [link(p.households[0], contact_name="赵淑芬"), link(p.households[0])]
    link(p.other_household)
    client.force_login(community_staff)
    response = client.get(reverse("party_work:visits_due"))
    assert response.status_code == 200
    assert due[0].address in response.text
    assert "赵淑芬" not in response.text and "赵**" in response.text
    (event,) = displays()
    assert event.action == LIST and event.object_type == "party_work.householdlink"
    assert sorted(event.detail.split("ids: ")[1].split(", ")) == sorted(str(x.pk) for x in due)
    assert "page: party_work:visits_due" in event.detail


@pytest.mark.django_db
def test_making_a_request_of_a_booking_records_the_name_shown(client, p, community_staff):
    booking = ReceptionBooking.objects.create(
        session=session(p.communities[0]), name="王大爷", phone="13912345678", topic="停车"
    )
    client.force_login(community_staff)
    url = reverse("party_work:booking_to_request", args=[booking.pk])
    assert "王大爷" in client.get(url).text
    (event,) = displays()
    assert (event.object_id, event.detail.splitlines()[0]) == (str(booking.pk), "fields: name")
    client.post(url, {})  # a form with errors: not a new display row
    assert displays().count() == 1


@pytest.fixture
def member_with_order(p):
    person = PersonFactory(membership_unit=p.grids[0].unit)
    person.user = get_user_model().objects.create_user(f"m{person.pk}", password="pw-123-abc")
    person.save()
    order = a_request(p, status=Status.DISPATCHED, assignee=person)
    return person, order


@pytest.mark.django_db
def test_the_members_order_page_records_the_address_and_a_phone_reveal_once(
    client, p, member_with_order
):
    person, order = member_with_order
    client.force_login(person.user)
    url = reverse("resident_requests:member_order", args=[order.code])
    assert order.address in client.get(url).text
    (event,) = displays()
    assert event.actor_id == person.user.pk and event.object_id == str(order.pk)
    assert event.detail.startswith("fields: address\npage: resident_requests:member_order")
    response = client.post(url, {"action": "phone"})
    assert order.submitter_phone in response.text
    rows = list(displays())
    assert len(rows) == 2  # the reveal is one row (the phone), not two
    assert rows[1].detail.startswith("fields: phone")
    # Someone else's order: 404, nothing recorded.
    other = a_request(p, status=Status.DISPATCHED)
    assert (
        client.get(reverse("resident_requests:member_order", args=[other.code])).status_code == 404
    )
    assert displays().count() == 2


# --- The audit list ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_display_rows_are_listed_by_action_for_the_org_department_and_read_only(
    client, p, community_staff, django_user_model
):
    household = link(p.households[0])
    client.force_login(community_staff)
    client.get(reverse("admin:party_work_householdlink_change", args=[household.pk]))
    event = displays().get()
    assert client.get(AUDIT).status_code == 403  # community staff do not read the audit log
    orgdept = staff_user(StaffRole.ORG_DEPARTMENT, unit=p.district)
    root = django_user_model.objects.create_superuser("root", password="pw-for-tests-123")
    for user in (orgdept, root):
        client.force_login(user)
        listing = client.get(AUDIT, {"action__exact": VIEW})
        assert listing.status_code == 200
        assert list(listing.context["cl"].result_list) == [event]
        assert not client.get(AUDIT, {"action__exact": LIST}).context["cl"].result_list
        assert client.post(f"{AUDIT}{event.pk}/change/", {"detail": "x"}).status_code == 403
        assert client.post(f"{AUDIT}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.detail.startswith("fields: name, phone, address")


# --- Cost -------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "page", ["resident_requests_residentrequest_change", "party_work_householdlink_change",
             "party_work_householdlink_changelist", "visits_due"],
)  # fmt: skip
def test_an_audited_page_costs_exactly_one_insert(client, p, community_staff, monkeypatch, page):
    request, household = a_request(p), link(p.households[0])
    link(p.households[0])
    url = {
        "resident_requests_residentrequest_change": lambda: reverse(
            f"admin:{page}", args=[request.pk]
        ),
        "party_work_householdlink_change": lambda: reverse(f"admin:{page}", args=[household.pk]),
        "party_work_householdlink_changelist": lambda: reverse(f"admin:{page}"),
        "visits_due": lambda: reverse("party_work:visits_due"),
    }[page]()
    client.force_login(community_staff)
    client.get(url)  # warm the caches (content types, permissions)

    with CaptureQueriesContext(connection) as audited:
        assert client.get(url).status_code == 200
    # The same page without any audit row (nor the phone disclosure's copy).
    monkeypatch.setattr(ops.services, "audit_record", lambda **kwargs: None)
    with CaptureQueriesContext(connection) as plain:
        assert client.get(url).status_code == 200
    touching = [q["sql"] for q in audited.captured_queries if "ops_auditevent" in q["sql"]]
    assert len(touching) == 1 and touching[0].startswith("INSERT")
    assert len(audited.captured_queries) == len(plain.captured_queries) + 1
