"""Booking rules, the reminder in the outbox, the 90-day visit list, awards and requests made of
what residents raised at a reception session."""

import datetime

import pytest
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError, IllegalTransition, OutOfScope
from notifications.messages import render
from notifications.models import Notification
from organization.models import StaffRole
from party_work import selectors, services
from party_work.models import (
    HouseholdVisit,
    PostClaim,
    PostKind,
    ReceptionBooking,
    SessionStatus,
    VanguardAward,
)
from resident_requests.models import Category, Channel, ResidentRequest, Status
from tests.organization.factories import PersonFactory, staff_user

from .factories import link, session

PHONE = "13912345678"


def book(s, phone=PHONE, name="王大爷", topic="小区停车难"):
    return services.reception_book(session=s, name=name, phone=phone, topic=topic)


# --- Booking rules ---------------------------------------------------------------------------------


def test_a_resident_books_a_place(p):
    s = session(p.communities[0])
    booking = book(s)
    assert booking.pk and booking.session == s
    assert ReceptionBooking.objects.get().topic == "小区停车难"


def test_a_full_session_is_refused_with_a_message_and_nothing_saved(p):
    s = session(p.communities[0], capacity=2)
    book(s, phone="13900000001")
    book(s, phone="13900000002")
    with pytest.raises(ApplicationError) as exc:
        book(s, phone="13900000003")
    assert str(exc.value) == _(
        "This session is full. Please choose another date or another community."
    )
    assert ReceptionBooking.objects.count() == 2


def test_the_same_phone_twice_is_refused_with_a_message_and_nothing_saved(p):
    s = session(p.communities[0])
    book(s)
    with pytest.raises(ApplicationError) as exc:
        book(s, name="王奶奶", topic="另一件事")
    assert _("This phone number already has a place at this session.") in str(exc.value)
    assert ReceptionBooking.objects.count() == 1


def test_the_same_phone_may_book_another_session(p):
    book(session(p.communities[0]))
    book(session(p.communities[1]))
    assert ReceptionBooking.objects.count() == 2


def test_a_session_in_the_past_is_refused_with_a_message_and_nothing_saved(p):
    s = session(p.communities[0], days_ahead=-1)
    with pytest.raises(IllegalTransition) as exc:
        book(s)
    assert str(exc.value) == _("This session has already taken place. Please choose a coming one.")
    assert not ReceptionBooking.objects.exists()


def test_a_session_that_ended_earlier_today_is_in_the_past(p):
    now = timezone.localtime()
    if now.hour < 1:
        pytest.skip("needs an hour of today behind us")
    s = session(
        p.communities[0],
        date=now.date(),
        start_time=datetime.time(0, 0),
        end_time=datetime.time(0, 30),
    )
    with pytest.raises(IllegalTransition):
        book(s)


def test_a_cancelled_session_cannot_be_booked(p):
    s = session(p.communities[0], status=SessionStatus.CANCELLED)
    with pytest.raises(IllegalTransition):
        book(s)
    assert not ReceptionBooking.objects.exists()


def test_an_invalid_phone_is_refused_with_the_validator_message(p):
    s = session(p.communities[0])
    with pytest.raises(ApplicationError) as exc:
        book(s, phone="12345")
    assert "11" in str(exc.value)
    assert not ReceptionBooking.objects.exists()


# --- The reminder the day before ----------------------------------------------------------------


def test_the_reminder_is_written_to_the_outbox_the_day_before(p, settings):
    settings.NOTIFICATIONS_ROUTES = {"resident": ["sms"]}
    today = timezone.localdate()
    tomorrow = session(p.communities[0], days_ahead=1, place="京口路社区代表委员工作室")
    later = session(p.communities[0], days_ahead=3)
    book(tomorrow)
    book(later, phone="13900000009")

    assert services.reception_reminders_send(today=today) == 1

    row = Notification.objects.get(template_key="reception.reminder")
    assert row.phone == PHONE and row.channel == "sms"
    assert PHONE not in str(row.context)  # the phone is the address, never in the text
    title, text = render(row.template_key, row.context, "zh-hans")
    # The outbox writes the day as people read it (notifications.messages.render).
    assert tomorrow.date.strftime(_("%b %d")) in text
    assert "京口路社区代表委员工作室" in text and "09:00" in text


def test_the_reminder_is_written_once_however_often_the_task_runs(p, settings):
    settings.NOTIFICATIONS_ROUTES = {"resident": ["sms"]}
    book(session(p.communities[0], days_ahead=1))
    services.reception_reminders_send()
    services.reception_reminders_send()
    assert Notification.objects.filter(template_key="reception.reminder").count() == 1


def test_no_reminder_for_a_cancelled_session(p, settings):
    settings.NOTIFICATIONS_ROUTES = {"resident": ["sms"]}
    s = session(p.communities[0], days_ahead=1)
    book(s)
    s.status = SessionStatus.CANCELLED
    s.save()
    assert services.reception_reminders_send() == 0
    assert not Notification.objects.exists()


# --- The 90-day visit list -------------------------------------------------------------------------


def test_households_not_visited_for_90_days_are_on_the_list(p):
    today = datetime.date(2026, 11, 25)
    recent = link(p.households[0], last_visit=today - datetime.timedelta(days=89))
    due = link(p.households[0], last_visit=today - datetime.timedelta(days=90))
    never = link(p.households[1])
    link(p.households[1], last_visit=today - datetime.timedelta(days=200), active=False)
    listed = list(selectors.households_due_visit(today=today))
    assert listed == [never, due]
    assert recent not in listed


def test_the_list_is_the_communitys_own(p):
    mine = link(p.households[0])
    link(p.households[1])
    link(p.other_household)
    community_staff = staff_user(StaffRole.COMMUNITY_STAFF, unit=p.communities[0])
    assert list(selectors.households_due_visit(user=community_staff)) == [mine]


def test_logging_a_visit_takes_the_household_off_the_list(p):
    household = link(
        p.households[0], last_visit=timezone.localdate() - datetime.timedelta(days=120)
    )
    staff = staff_user(StaffRole.COMMUNITY_STAFF, unit=p.communities[0])
    services.household_visit_log(
        link=household, visited_on=timezone.localdate(), visitor=p.members[0], actor=staff
    )
    household.refresh_from_db()
    assert household.last_visit == timezone.localdate()
    assert not selectors.households_due_visit(user=staff).exists()
    assert HouseholdVisit.objects.get().visitor == p.members[0]


def test_an_older_visit_does_not_move_the_last_visit_back(p):
    today = timezone.localdate()
    household = link(p.households[0], last_visit=today)
    services.household_visit_log(link=household, visited_on=today - datetime.timedelta(days=5))
    household.refresh_from_db()
    assert household.last_visit == today


def test_a_visit_is_not_logged_twice_a_day_nor_in_the_future(p):
    household = link(p.households[0])
    today = timezone.localdate()
    services.household_visit_log(link=household, visited_on=today)
    with pytest.raises(ApplicationError):
        services.household_visit_log(link=household, visited_on=today)
    with pytest.raises(ApplicationError):
        services.household_visit_log(link=household, visited_on=today + datetime.timedelta(days=1))
    assert HouseholdVisit.objects.count() == 1


def test_staff_log_visits_only_in_their_scope(p):
    other = link(p.other_household)
    staff = staff_user(StaffRole.COMMUNITY_STAFF, unit=p.communities[0])
    with pytest.raises(OutOfScope):
        services.household_visit_log(link=other, visited_on=timezone.localdate(), actor=staff)
    assert not HouseholdVisit.objects.exists()


# --- Posts and awards ------------------------------------------------------------------------------


def test_a_member_claims_a_post_once_and_hands_it_back(p):
    start = timezone.localdate() - datetime.timedelta(days=10)
    claim = services.post_claim(
        person=p.members[0], grid=p.grids[0], post=PostKind.MEDIATION, start_date=start
    )
    with pytest.raises(ApplicationError):
        services.post_claim(
            person=p.members[0], grid=p.grids[0], post=PostKind.MEDIATION, start_date=start
        )
    assert list(selectors.claimed_posts_for_grid(p.grids[0])) == [claim]
    services.post_release(claim=claim, end_date=timezone.localdate() - datetime.timedelta(days=1))
    assert not selectors.claimed_posts_for_grid(p.grids[0]).exists()
    assert PostClaim.objects.count() == 1


def test_only_party_members_claim_posts(p):
    outsider = PersonFactory(political_status="masses")
    with pytest.raises(ApplicationError):
        services.post_claim(
            person=outsider, grid=p.grids[0], post=PostKind.SAFETY, start_date=timezone.localdate()
        )


def test_street_staff_award_the_title_in_their_street_only(p):
    staff = staff_user(StaffRole.STREET_STAFF, unit=p.street)
    award = services.vanguard_award(person=p.members[0], year=2026, quarter=1, actor=staff)
    assert award.branch == p.members[0].membership_unit and award.awarded_by == staff
    with pytest.raises(IllegalTransition):
        services.vanguard_award(person=p.members[0], year=2026, quarter=1, actor=staff)
    with pytest.raises(OutOfScope):
        services.vanguard_award(person=p.other_member, year=2026, quarter=1, actor=staff)
    assert VanguardAward.objects.count() == 1


# --- From a session to a request -------------------------------------------------------------------


@pytest.fixture
def category(db):
    top = Category.objects.create(code="pw-top", name="环境卫生")
    return Category.objects.create(code="pw-light", name="楼道照明", parent=top)


def test_staff_turn_what_was_raised_into_a_reception_day_request(p, category):
    booking = book(session(p.communities[0]))
    staff = staff_user(StaffRole.COMMUNITY_STAFF, unit=p.communities[0])
    request = services.reception_booking_to_request(
        booking=booking, actor=staff, building=p.buildings[0], category=category
    )
    assert request.channel == Channel.RECEPTION_DAY
    assert request.status == Status.SUBMITTED
    assert request.submitter_phone == PHONE and request.description == "小区停车难"
    assert request.created_by == staff
    booking.refresh_from_db()
    assert booking.request == request
    with pytest.raises(IllegalTransition):
        services.reception_booking_to_request(
            booking=booking, actor=staff, building=p.buildings[0], category=category
        )
    assert ResidentRequest.objects.count() == 1


def test_the_request_is_placed_in_the_sessions_community(p, category):
    booking = book(session(p.communities[0]))
    staff = staff_user(StaffRole.STREET_STAFF, unit=p.street)
    with pytest.raises(ApplicationError):
        services.reception_booking_to_request(
            booking=booking, actor=staff, building=p.buildings[1], category=category
        )
    assert not ResidentRequest.objects.exists()


def test_staff_of_another_community_cannot_make_the_request(p, category):
    booking = book(session(p.communities[0]))
    staff = staff_user(StaffRole.COMMUNITY_STAFF, unit=p.communities[1])
    with pytest.raises(OutOfScope):
        services.reception_booking_to_request(
            booking=booking, actor=staff, building=p.buildings[0], category=category
        )
