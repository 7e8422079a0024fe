"""Opening hours as a station list writes them in one cell, both ways:

    周一至周五 8:30-12:00,14:00-17:30；周六 9:00-12:00；周五、周六 20:00-00:30

Days: 周一…周日 (also 星期一, 周天), a range 周一至周五 (or 周一-周五), several joined by 、, or 每天.
Times: H:MM-H:MM, several joined by a comma; a closing time before the opening time runs past
midnight, as in grids.hours.
"""

import datetime
import re

from django.utils.translation import gettext as _

DAY_NAMES = "一二三四五六日"
DAY_ALIASES = {"天": 6, "七": 6}
RANGE_SEP = r"(?:至|到|-|~|－|—|–)"
DAY = r"(?:周|星期|礼拜)([一二三四五六日天七])"
TIME = r"(\d{1,2})[:：](\d{2})"
TIME_RANGE = re.compile(rf"^{TIME}\s*{RANGE_SEP}\s*{TIME}$")

Period = tuple[int, datetime.time, datetime.time]


def _day(char: str) -> int:
    return DAY_ALIASES.get(char, DAY_NAMES.find(char))


def _days(text: str) -> list[int]:
    text = text.strip()
    if text in {"每天", "每日", "全天", "周一至周日", "周一到周日"}:
        return list(range(7))
    days: list[int] = []
    for part in re.split(r"[、，,/]", text):
        part = part.strip()
        if not part:
            continue
        span = re.fullmatch(rf"{DAY}\s*{RANGE_SEP}\s*(?:周|星期|礼拜)?([一二三四五六日天七])", part)
        if span:
            start, end = _day(span.group(1)), _day(span.group(2))
            if end < start:
                raise ValueError
            days.extend(range(start, end + 1))
            continue
        single = re.fullmatch(DAY, part)
        if not single:
            raise ValueError
        days.append(_day(single.group(1)))
    if not days:
        raise ValueError
    return days


def _time(hour: str, minute: str) -> datetime.time:
    h, m = int(hour), int(minute)
    if h == 24 and m == 0:
        return datetime.time(0, 0)
    return datetime.time(h, m)  # ValueError past 23:59


def parse(text: str) -> list[Period]:
    """(weekday, opens, closes) periods; ValueError with a message for people."""
    periods: list[Period] = []
    text = (text or "").strip()
    if not text:
        return periods
    for segment in re.split(r"[;；\n]+", text):
        segment = segment.strip()
        if not segment:
            continue
        match = re.match(r"^(\S+?)\s*(\d.*)$", segment)
        try:
            if not match:
                raise ValueError
            days = _days(match.group(1))
            for span in re.split(r"[,，、]", match.group(2)):
                times = TIME_RANGE.match(span.strip())
                if not times:
                    raise ValueError
                opens, closes = _time(*times.group(1, 2)), _time(*times.group(3, 4))
                if opens == closes:
                    raise ValueError
                periods.extend((day, opens, closes) for day in days)
        except ValueError:
            raise ValueError(
                _(
                    "Cannot read the opening hours “%(segment)s”. Write them like “周一至周五 8:30-12:00,14:00-17:30；周六 9:00-12:00”."
                )
                % {"segment": segment}
            ) from None
    seen = set()
    for day, opens, _closes in periods:
        if (day, opens) in seen:
            raise ValueError(
                _("周%(day)s opens twice at %(time)s: give each period once.")
                % {"day": DAY_NAMES[day], "time": f"{opens:%H:%M}"}
            )
        seen.add((day, opens))
    return sorted(periods)


def _hm(t: datetime.time) -> str:
    return f"{t.hour}:{t.minute:02d}"


def format_periods(periods) -> str:
    """The cell text for (weekday, opens, closes) periods (or OpeningHours rows)."""
    by_day: dict[int, list[tuple[datetime.time, datetime.time]]] = {}
    for p in periods:
        day, opens, closes = (p.weekday, p.opens, p.closes) if hasattr(p, "weekday") else p
        by_day.setdefault(day, []).append((opens, closes))
    # Days with the same periods are written together, consecutive ones as a range.
    groups: dict[tuple, list[int]] = {}
    for day in sorted(by_day):
        groups.setdefault(tuple(sorted(by_day[day])), []).append(day)
    segments = []
    for spans, days in sorted(groups.items(), key=lambda item: item[1][0]):
        runs: list[list[int]] = []
        for day in days:
            if runs and runs[-1][-1] == day - 1:
                runs[-1].append(day)
            else:
                runs.append([day])
        day_text = "、".join(
            f"周{DAY_NAMES[r[0]]}至周{DAY_NAMES[r[-1]]}"
            if len(r) > 2
            else "、".join(f"周{DAY_NAMES[d]}" for d in r)
            for r in runs
        )
        if days == list(range(7)):
            day_text = "每天"
        segments.append(f"{day_text} {','.join(f'{_hm(o)}-{_hm(c)}' for o, c in spans)}")
    return "；".join(segments)
