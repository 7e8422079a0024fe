"""Working days and deadlines: the one function that computes a deadline (`deadline_add`), and
the hours a span counts (`hours_between`, for a deadline paused by a suspension).

A deadline counts either clock hours or working hours (DeadlineBasis, chosen per request
category). Working hours are the hours of working days, whole days of 24 hours, as 12345
接诉即办 platforms count 工作日: the clock stops at midnight before a holiday or a weekend and
starts again at midnight of the next working day. A working day is a Monday to Friday that is
not a public holiday, or a weekend day the State Council made a working day (调休). Days are
the district's days (settings.TIME_ZONE).

The calendar (CalendarDay rows) is read once per process and kept until it changes: a version
token in the cache says when it did, so a call costs at most one query, none when the calendar
is already read, and a change in the admin is seen by every process at its next call.
"""

import datetime
import uuid
from functools import partial

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from .models import CalendarDay, DayKind, DeadlineBasis

VERSION_KEY = "core:calendar:version"
ONE_DAY = datetime.timedelta(days=1)

# (version token, {date: kind}) of this process; replaced, never mutated.
_memo: tuple[str, dict[datetime.date, str]] | None = None


def calendar_days() -> dict[datetime.date, str]:
    """{date: DayKind} of every calendar entry, from this process's copy while it is current."""
    global _memo
    token = cache.get(VERSION_KEY)
    if token is not None and _memo is not None and _memo[0] == token:
        return _memo[1]
    if token is None:
        # Set the token before reading, so a change committed during the read makes a new one.
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        token = cache.get(VERSION_KEY) or ""
    days = dict(CalendarDay.objects.values_list("date", "kind"))
    _memo = (token, days)
    return days


def calendar_changed() -> None:
    """Every process reads the calendar again at its next call (now, and after the commit)."""
    global _memo
    _memo = None
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    transaction.on_commit(partial(cache.set, VERSION_KEY, uuid.uuid4().hex, timeout=None))


@receiver(post_save, sender=CalendarDay, dispatch_uid="core.calendar_saved")
@receiver(post_delete, sender=CalendarDay, dispatch_uid="core.calendar_deleted")
def _calendar_row_changed(**kwargs) -> None:
    calendar_changed()


def is_working_day(day: datetime.date, days: dict[datetime.date, str] | None = None) -> bool:
    kind = (calendar_days() if days is None else days).get(day)
    if kind is not None:
        return kind == DayKind.WORKING_DAY
    return day.weekday() < 5


def deadline_add(
    start: datetime.datetime, hours: float, basis: str = DeadlineBasis.CLOCK
) -> datetime.datetime:
    """`hours` after `start`, counting every hour (clock) or only working days' hours (working).

    With working hours a start on a holiday or weekend counts from the next working day's
    midnight, and a deadline that uses a working day's last hour up exactly falls at midnight.
    """
    if timezone.is_naive(start):
        start = timezone.make_aware(start)
    if basis != DeadlineBasis.WORKING or hours <= 0:
        return start + datetime.timedelta(hours=hours)
    days = calendar_days()
    tz = timezone.get_default_timezone()
    remaining = datetime.timedelta(hours=hours)
    cursor = start.astimezone(datetime.UTC)
    day = start.astimezone(tz).date()
    # Ends: only finitely many days are in the calendar, and weekdays after them are worked.
    while True:
        midnight = datetime.datetime.combine(day + ONE_DAY, datetime.time.min, tzinfo=tz)
        if is_working_day(day, days):
            available = midnight.astimezone(datetime.UTC) - cursor
            if remaining <= available:
                return (cursor + remaining).astimezone(start.tzinfo)
            remaining -= available
        cursor = midnight.astimezone(datetime.UTC)
        day += ONE_DAY


def hours_between(
    start: datetime.datetime, end: datetime.datetime, basis: str = DeadlineBasis.CLOCK
) -> float:
    """The hours from `start` to `end` that a deadline counts: every hour (clock) or only
    working days' hours (working); 0 when `end` is not after `start`. A deadline moved by a
    paused span is `deadline_add(deadline, hours_between(paused, resumed, basis), basis)`."""
    if timezone.is_naive(start):
        start = timezone.make_aware(start)
    if timezone.is_naive(end):
        end = timezone.make_aware(end)
    if end <= start:
        return 0.0
    if basis != DeadlineBasis.WORKING:
        return (end - start).total_seconds() / 3600
    days = calendar_days()
    tz = timezone.get_default_timezone()
    counted = datetime.timedelta(0)
    cursor = start.astimezone(datetime.UTC)
    end = end.astimezone(datetime.UTC)
    day = start.astimezone(tz).date()
    while cursor < end:
        midnight = datetime.datetime.combine(day + ONE_DAY, datetime.time.min, tzinfo=tz)
        stop = min(midnight.astimezone(datetime.UTC), end)
        if is_working_day(day, days):
            counted += stop - cursor
        cursor = midnight.astimezone(datetime.UTC)
        day += ONE_DAY
    return counted.total_seconds() / 3600


# --- Seeding from the chinese-calendar library ------------------------------------------------

# The library's English holiday names → the names the State Council's notices use.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def library_years() -> tuple[int, int]:
    """The first and last year the installed chinese-calendar covers."""
    from chinese_calendar.constants import holidays

    years = {day.year for day in holidays}
    return min(years), max(years)


@transaction.atomic
def calendar_seed(*, since: int | None = None) -> int:
    """Add the library's holidays and 调休 working days (from the year `since`) that the
    calendar lacks; days already there, whether seeded or entered in the admin, stay as they
    are, so running it again changes nothing. Returns how many days were added."""
    from chinese_calendar.constants import holidays, workdays

    library = [(day, DayKind.HOLIDAY, name) for day, name in holidays.items()]
    library += [(day, DayKind.WORKING_DAY, name) for day, name in workdays.items()]
    existing = set(CalendarDay.objects.values_list("date", flat=True))
    new = [
        CalendarDay(date=day, kind=kind, name=HOLIDAY_NAMES.get(name, name))
        for day, kind, name in sorted(library)
        if day not in existing and (since is None or day.year >= since)
    ]
    CalendarDay.objects.bulk_create(new, ignore_conflicts=True)
    if new:
        calendar_changed()
    return len(new)
