"""Open now: periods past midnight, the Sunday→Monday wrap, and the time zone."""

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from grids.hours import is_open_at, open_at_q, opening_status, status_text
from grids.models import ServiceStation
from tests.organization.factories import chain

from .factories import station

SH = ZoneInfo("Asia/Shanghai")
T = datetime.time
MON, FRI, SAT, SUN = 0, 4, 5, 6


def at(day: str, hh: int, mm: int = 0) -> datetime.datetime:
    """2026-11-23 is a Monday, 2026-11-27 a Friday, 2026-11-29 a Sunday."""
    return datetime.datetime.fromisoformat(day).replace(hour=hh, minute=mm, tzinfo=SH)


def period(weekday, opens, closes):
    return SimpleNamespace(weekday=weekday, opens=opens, closes=closes)


OFFICE = [period(d, T(8, 30), T(17, 30)) for d in range(5)]
FRIDAY_NIGHT = [period(FRI, T(20, 0), T(0, 30))]
SUNDAY_NIGHT = [period(SUN, T(22, 0), T(1, 0))]


@pytest.mark.parametrize(
    ("hours", "moment", "expected"),
    [
        (OFFICE, at("2026-11-23", 8, 29), False),
        (OFFICE, at("2026-11-23", 8, 30), True),
        (OFFICE, at("2026-11-23", 17, 29), True),
        (OFFICE, at("2026-11-23", 17, 30), False),  # closing time is closed
        (OFFICE, at("2026-11-28", 10), False),  # Saturday
        (FRIDAY_NIGHT, at("2026-11-27", 19, 59), False),
        (FRIDAY_NIGHT, at("2026-11-27", 23, 59), True),
        (FRIDAY_NIGHT, at("2026-11-28", 0, 15), True),  # Saturday, carried over from Friday
        (FRIDAY_NIGHT, at("2026-11-28", 0, 30), False),
        (FRIDAY_NIGHT, at("2026-11-29", 0, 15), False),  # Sunday: no Saturday night period
        (SUNDAY_NIGHT, at("2026-11-29", 23), True),
        (SUNDAY_NIGHT, at("2026-11-30", 0, 30), True),  # Monday, weekday 0 after 6
        (SUNDAY_NIGHT, at("2026-11-30", 1, 0), False),
        (SUNDAY_NIGHT, at("2026-11-23", 0, 30), True),  # any Monday after a Sunday
        (SUNDAY_NIGHT, at("2026-11-24", 0, 30), False),  # not a Tuesday
    ],
)
def test_is_open_at(hours, moment, expected):
    assert is_open_at(hours, moment) is expected


def test_the_station_keeps_shanghai_time_whatever_zone_the_moment_is_in():
    # 00:30 UTC on Monday is 08:30 in Shanghai; 16:00 UTC on Sunday is Monday 00:00 there.
    assert is_open_at(OFFICE, datetime.datetime(2026, 11, 23, 0, 30, tzinfo=datetime.UTC))
    assert is_open_at(SUNDAY_NIGHT, datetime.datetime(2026, 11, 29, 16, 0, tzinfo=datetime.UTC))
    assert not is_open_at(OFFICE, datetime.datetime(2026, 11, 23, 9, 30, tzinfo=datetime.UTC))


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError):
        is_open_at(OFFICE, datetime.datetime(2026, 11, 23, 9))


@pytest.mark.django_db
def test_the_sql_filter_agrees_with_the_python_rule():
    _, _, [community], _ = chain(grids=0)
    office = station(
        community, name="日间站", hours=[(p.weekday, p.opens, p.closes) for p in OFFICE]
    )
    friday = station(community, name="周五夜间站", hours=[(FRI, T(20, 0), T(0, 30))])
    sunday = station(community, name="周日夜间站", hours=[(SUN, T(22, 0), T(1, 0))])
    stations = [office, friday, sunday]
    moments = [
        at("2026-11-23", 0, 30), at("2026-11-23", 8, 30), at("2026-11-23", 17, 30),
        at("2026-11-27", 23, 59), at("2026-11-28", 0, 15), at("2026-11-28", 0, 30),
        at("2026-11-29", 23), at("2026-11-30", 0, 59), at("2026-11-30", 1),
    ]  # fmt: skip
    for moment in moments:
        in_sql = set(ServiceStation.objects.filter(open_at_q(moment)).values_list("pk", flat=True))
        in_python = {s.pk for s in stations if is_open_at(s.hours.all(), moment)}
        assert in_sql == in_python, moment


def test_opening_status_says_when_it_closes_and_next_opens():
    status = opening_status(OFFICE + FRIDAY_NIGHT, at("2026-11-27", 21))
    assert status.is_open and status.closes_at == at("2026-11-28", 0, 30)
    status = opening_status(OFFICE, at("2026-11-27", 18))
    assert not status.is_open and status.opens_at == at("2026-11-30", 8, 30)
    status = opening_status(OFFICE, at("2026-11-23", 7))
    assert status.opens_at == at("2026-11-23", 8, 30)
    assert opening_status([], at("2026-11-23", 7)).opens_at is None


def test_status_text_reads_plainly():
    with translation.override("en"):
        assert status_text(opening_status(OFFICE, at("2026-11-23", 9)), at("2026-11-23", 9)) == (
            "Open now, until 17:30"
        )
        moment = at("2026-11-23", 18)
        assert status_text(opening_status(OFFICE, moment), moment) == (
            "Closed now, opens tomorrow at 08:30"
        )
        moment = at("2026-11-27", 18)
        assert status_text(opening_status(OFFICE, moment), moment) == (
            "Closed now, opens Monday at 08:30"
        )
        moment = at("2026-11-23", 7)
        assert status_text(opening_status(OFFICE, moment), moment) == (
            "Closed now, opens today at 08:30"
        )
