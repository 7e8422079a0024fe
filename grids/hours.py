"""Whether a station is open at a moment, and when it next opens or closes.

Stations keep Jingkou's local time (Asia/Shanghai) whatever the server's zone. A period whose
closing time is earlier than its opening time runs past midnight into the next day, so a
Friday 20:00–02:00 period is open at 01:00 on Saturday.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Exists, F, OuterRef, Q

STATION_TZ = ZoneInfo("Asia/Shanghai")


def local(when: datetime.datetime) -> datetime.datetime:
    if when.tzinfo is None:
        raise ValueError("Give an aware datetime: opening hours need to know the time zone.")
    return when.astimezone(STATION_TZ)


def _crosses_midnight(opens: datetime.time, closes: datetime.time) -> bool:
    return closes <= opens


def is_open_at(hours: Iterable, when: datetime.datetime) -> bool:
    """`hours`: OpeningHours rows (or anything with weekday, opens, closes)."""
    now = local(when)
    day, t = now.weekday(), now.time()
    yesterday = (day - 1) % 7
    for period in hours:
        if period.weekday == day:
            if _crosses_midnight(period.opens, period.closes):
                if t >= period.opens:
                    return True
            elif period.opens <= t < period.closes:
                return True
        if (
            period.weekday == yesterday
            and _crosses_midnight(period.opens, period.closes)
            and t < period.closes
        ):
            return True
    return False


def open_at_q(when: datetime.datetime) -> Q:
    """The same rule as `is_open_at`, as one SQL condition on stations (for the open-now filter)."""
    from .models import OpeningHours

    now = local(when)
    day, t = now.weekday(), now.time().replace(microsecond=0)
    yesterday = (day - 1) % 7
    station = OuterRef("pk")
    today_open = OpeningHours.objects.filter(station=station, weekday=day).filter(
        Q(opens__lt=F("closes"), opens__lte=t, closes__gt=t)
        | Q(opens__gt=F("closes"), opens__lte=t)
    )
    from_yesterday = OpeningHours.objects.filter(
        station=station, weekday=yesterday, opens__gt=F("closes"), closes__gt=t
    )
    return Q(Exists(today_open)) | Q(Exists(from_yesterday))


@dataclass(frozen=True)
class OpeningStatus:
    is_open: bool
    # When open: the local time it closes. When closed: the local moment it next opens.
    closes_at: datetime.datetime | None = None
    opens_at: datetime.datetime | None = None


def opening_status(hours: Iterable, when: datetime.datetime) -> OpeningStatus:
    """Open or closed at `when`, with the next change within a week (None if it never opens)."""
    now = local(when)
    periods = list(hours)
    monday = (now - datetime.timedelta(days=now.weekday())).date()
    spans = []
    # Last week's, this week's and next week's occurrences cover every period around `now`.
    for week in (-1, 0, 1):
        for p in periods:
            day = monday + datetime.timedelta(days=7 * week + p.weekday)
            start = datetime.datetime.combine(day, p.opens, tzinfo=STATION_TZ)
            end_day = (
                day + datetime.timedelta(days=1) if _crosses_midnight(p.opens, p.closes) else day
            )
            end = datetime.datetime.combine(end_day, p.closes, tzinfo=STATION_TZ)
            spans.append((start, end))
    spans.sort()
    current = [end for start, end in spans if start <= now < end]
    if current:
        end = max(current)
        # Back-to-back periods (12:00–14:00 then 14:00–17:30) read as one.
        for start, later_end in spans:
            if start <= end < later_end:
                end = later_end
        return OpeningStatus(is_open=True, closes_at=end)
    upcoming = [start for start, _ in spans if start > now]
    return OpeningStatus(is_open=False, opens_at=upcoming[0] if upcoming else None)


def status_text(status: OpeningStatus, when: datetime.datetime) -> str:
    """What a resident reads: "Open now, until 17:30" or "Closed now, opens tomorrow at 08:30"."""
    from django.utils.translation import gettext as _

    from .models import Weekday

    if status.is_open:
        if status.closes_at is None:
            return _("Open now")
        return _("Open now, until %(time)s") % {"time": f"{status.closes_at:%H:%M}"}
    if status.opens_at is None:
        return _("Closed")
    today = local(when).date()
    opens = status.opens_at
    time = f"{opens:%H:%M}"
    if opens.date() == today:
        return _("Closed now, opens today at %(time)s") % {"time": time}
    if opens.date() == today + datetime.timedelta(days=1):
        return _("Closed now, opens tomorrow at %(time)s") % {"time": time}
    return _("Closed now, opens %(day)s at %(time)s") % {
        "day": Weekday(opens.weekday()).label,
        "time": time,
    }
