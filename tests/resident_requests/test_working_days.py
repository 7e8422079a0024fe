"""Working-day deadlines: the holiday calendar, deadline_add across 春节 and 国庆 2026 with their
调休 working days, the per-category choice, the admin and the seed command."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from core.models import CalendarDay, DayKind, DeadlineBasis
from core.workdays import calendar_days, calendar_seed, deadline_add, is_working_day
from resident_requests import deadlines
from resident_requests.models import HandlingLevel

from .factories import at_level, category, submit

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
WORKING = DeadlineBasis.WORKING
CLOCK = DeadlineBasis.CLOCK
ADD = reverse("admin:core_calendarday_add")
LIST = reverse("admin:core_calendarday_changelist")


def at(*args) -> datetime.datetime:
    """A moment in the district's time (Asia/Shanghai)."""
    return datetime.datetime(*args, tzinfo=TZ)


@pytest.fixture
def calendar(db):
    """The 2026 holidays and 调休 working days as the seed command loads them."""
    calendar_seed(since=2026)


# --- The calendar the library seeds ---------------------------------------------------------


def test_the_seeded_2026_calendar_has_the_state_councils_days(calendar):
    spring = CalendarDay.objects.filter(date__range=("2026-02-15", "2026-02-23"))
    assert spring.count() == 9
    assert set(spring.values_list("kind", "name")) == {(DayKind.HOLIDAY, "春节")}
    national = CalendarDay.objects.filter(date__range=("2026-10-01", "2026-10-07"))
    assert set(national.values_list("kind", "name")) == {(DayKind.HOLIDAY, "国庆节")}
    assert national.count() == 7
    worked = {
        day.isoformat()
        for day in CalendarDay.objects.filter(kind=DayKind.WORKING_DAY).values_list(
            "date", flat=True
        )
    }
    # 春节: Saturdays 14 and 28 February; 国庆: Sunday 20 September and Saturday 10 October.
    assert {"2026-02-14", "2026-02-28", "2026-09-20", "2026-10-10"} <= worked
    assert is_working_day(datetime.date(2026, 2, 14))  # a Saturday
    assert not is_working_day(datetime.date(2026, 2, 16))  # a Monday in 春节
    assert not is_working_day(datetime.date(2026, 3, 7))  # an ordinary Saturday
    assert is_working_day(datetime.date(2026, 3, 9))  # an ordinary Monday


def test_the_seed_command_is_idempotent_and_keeps_days_entered_in_the_admin(capsys):
    call_command("calendar_seed")
    first = CalendarDay.objects.count()
    assert first > 500  # 2004 to 2026
    assert "2004–2026" in capsys.readouterr().out
    CalendarDay.objects.filter(date="2026-10-01").update(name="国庆节（本区）")
    call_command("calendar_seed")
    assert "0 days added" in capsys.readouterr().out
    assert CalendarDay.objects.count() == first
    assert CalendarDay.objects.get(date="2026-10-01").name == "国庆节（本区）"


# --- deadline_add across 春节 2026 ------------------------------------------------------------


def test_clock_hours_ignore_the_calendar(calendar):
    eve = at(2026, 9, 30, 18)
    assert deadline_add(eve, 24, CLOCK) == eve + datetime.timedelta(hours=24)
    assert deadline_add(eve, 24) == eve + datetime.timedelta(hours=24)


def test_a_tiao_xiu_saturday_before_chun_jie_counts(calendar):
    # Friday 13 February 17:00: 7 hours on Friday, the rest on the worked Saturday the 14th.
    assert deadline_add(at(2026, 2, 13, 17), 24, WORKING) == at(2026, 2, 14, 17)


def test_working_hours_skip_the_whole_chun_jie_holiday(calendar):
    # Saturday 14 February (worked) 18:00: 6 hours that day, Sunday 15 to Monday 23 are the
    # holiday, then Tuesday 24 and Wednesday 25 (48 hours), and 18 hours of Thursday 26.
    assert deadline_add(at(2026, 2, 14, 18), 72, WORKING) == at(2026, 2, 26, 18)
    # Filed during the holiday: the clock starts on Tuesday 24 at midnight.
    assert deadline_add(at(2026, 2, 17, 10), 8, WORKING) == at(2026, 2, 24, 8)


def test_the_tiao_xiu_saturday_after_chun_jie_counts_and_an_ordinary_one_does_not(calendar):
    assert deadline_add(at(2026, 2, 27, 12), 24, WORKING) == at(2026, 2, 28, 12)
    # A week later Saturday 7 March is a weekend day again: Friday noon → Monday noon.
    assert deadline_add(at(2026, 3, 6, 12), 24, WORKING) == at(2026, 3, 9, 12)


def test_a_deadline_that_uses_a_working_day_up_falls_at_its_midnight(calendar):
    assert deadline_add(at(2026, 2, 13, 0), 48, WORKING) == at(2026, 2, 15, 0)


# --- deadline_add across 国庆 2026 ------------------------------------------------------------


def test_working_hours_skip_guo_qing_and_count_its_tiao_xiu_days(calendar):
    eve = at(2026, 9, 30, 18)  # Wednesday, the eve of 国庆
    assert deadline_add(eve, 24, WORKING) == at(2026, 10, 8, 18)
    # 6 h on the 30th, Thursday 8 and Friday 9 October, 18 h of the worked Saturday the 10th.
    assert deadline_add(eve, 72, WORKING) == at(2026, 10, 10, 18)
    # Sunday 20 September is worked: from Saturday 19 the clock starts then.
    assert deadline_add(at(2026, 9, 19, 10), 24, WORKING) == at(2026, 9, 21, 0)


def test_a_utc_start_is_counted_in_the_districts_days(calendar):
    # 16:30 UTC on 30 September is 00:30 on 1 October in Zhenjiang: already the holiday.
    start = datetime.datetime(2026, 9, 30, 16, 30, tzinfo=datetime.UTC)
    assert deadline_add(start, 8, WORKING) == at(2026, 10, 8, 8)


# --- Requests: the per-category choice ------------------------------------------------------


def _now(monkeypatch, moment):
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_a_request_filed_on_the_eve_of_guo_qing_is_not_overdue_during_the_holiday(
    w, calendar, monkeypatch
):
    working = category(parent=w.category.parent, deadline_basis=WORKING, hours_to_accept=24)
    _now(monkeypatch, at(2026, 9, 30, 18))
    request = submit(w, category=working)
    by_the_clock = submit(w, category=w.category)  # the default: clock hours
    assert request.accept_deadline == at(2026, 10, 8, 18)
    assert by_the_clock.accept_deadline == at(2026, 10, 1, 18)

    _now(monkeypatch, at(2026, 10, 5, 12))
    deadlines.deadlines_check(now=at(2026, 10, 5, 12))
    request.refresh_from_db()
    by_the_clock.refresh_from_db()
    assert not request.overdue
    assert request.level == HandlingLevel.GRID
    # Clock hours: acceptance missed on 1 October, so it went up to the community (分级响应).
    assert by_the_clock.level == HandlingLevel.COMMUNITY

    _now(monkeypatch, at(2026, 10, 8, 17))
    deadlines.deadlines_check(now=at(2026, 10, 8, 17))
    request.refresh_from_db()
    assert request.level == HandlingLevel.GRID

    _now(monkeypatch, at(2026, 10, 8, 19))
    deadlines.deadlines_check(now=at(2026, 10, 8, 19))
    request.refresh_from_db()
    assert request.level == HandlingLevel.COMMUNITY
    # The community's own deadline counts working hours too: Friday 9 October, 19:00.
    assert request.accept_deadline == at(2026, 10, 9, 19)


def test_acceptance_and_department_deadlines_follow_the_category(w, calendar, monkeypatch):
    w.category.deadline_basis = WORKING
    w.category.save()
    _now(monkeypatch, at(2026, 9, 30, 18))
    request = at_level(w, HandlingLevel.DEPARTMENT)
    assert request.resolve_deadline == at(2026, 10, 10, 18)  # 72 working hours
    link = request.department_links.get(department=w.department)
    assert link.acknowledge_deadline == at(2026, 10, 8, 18)  # 24 working hours
    assert link.done_deadline == request.resolve_deadline


def test_the_calendar_is_read_once_and_again_after_a_change(calendar, django_assert_num_queries):
    with django_assert_num_queries(1):
        deadline_add(at(2027, 2, 5, 12), 24, WORKING)
    with django_assert_num_queries(0):
        # Friday 5 February 2027 noon: the next working day is Monday the 8th.
        assert deadline_add(at(2027, 2, 5, 12), 24, WORKING) == at(2027, 2, 8, 12)
        assert deadline_add(at(2027, 2, 5, 12), 24, CLOCK) == at(2027, 2, 6, 12)
    # 2027 is beyond the library: entered in the admin when the State Council publishes it.
    CalendarDay.objects.create(date="2027-02-07", kind=DayKind.WORKING_DAY, name="春节")
    assert datetime.date(2027, 2, 7) in calendar_days()
    assert deadline_add(at(2027, 2, 5, 12), 24, WORKING) == at(2027, 2, 7, 12)


# --- The admin --------------------------------------------------------------------------------


def test_the_organization_department_enters_a_day_and_a_date_twice_is_refused(client, w):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(w.users["org"])
    data = {"date": "2027-10-01", "kind": DayKind.HOLIDAY, "name": "国庆节"}
    assert client.post(ADD, data).status_code == 302
    assert CalendarDay.objects.get(date="2027-10-01").name == "国庆节"

    response = client.post(ADD, {**data, "kind": DayKind.WORKING_DAY, "name": "again"})
    assert response.status_code == 200
    assert "date" in response.context["adminform"].form.errors
    assert "already in the calendar" in response.content.decode()
    day = CalendarDay.objects.get(date="2027-10-01")
    assert (day.kind, day.name) == (DayKind.HOLIDAY, "国庆节")
    assert CalendarDay.objects.count() == 1
    listing = client.get(LIST)
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [day]


def test_other_staff_cannot_open_the_calendar(client, w):
    for who in ("leader", "community", "dept"):
        client.force_login(w.users[who])
        assert client.get(LIST).status_code == 403, who
        assert client.post(ADD, {"date": "2027-10-01", "kind": DayKind.HOLIDAY}).status_code == 403
    assert not CalendarDay.objects.exists()


def test_the_submitted_page_speaks_of_working_hours_for_such_a_category(w, calendar, client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    working = category(parent=w.category.parent, deadline_basis=WORKING, hours_to_accept=24)
    for cat, text in ((working, "within 24 working hours"), (w.category, "within 24 hours.")):
        request = submit(w, category=cat)
        url = reverse("resident_requests:submitted", args=[request.access_token])
        assert text in client.get(url).content.decode(), cat.deadline_basis
