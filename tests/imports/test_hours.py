import datetime

import pytest

from imports import hours

T = datetime.time


def test_parse_a_station_list_cell():
    periods = hours.parse("周一至周五 8:30-12:00,14:00-17:30；周六 9:00-12:00")
    assert len(periods) == 11
    assert (0, T(8, 30), T(12, 0)) in periods and (4, T(14, 0), T(17, 30)) in periods
    assert (5, T(9, 0), T(12, 0)) in periods
    assert not any(p[0] == 6 for p in periods)


def test_parse_night_hours_lists_and_every_day():
    assert hours.parse("周五、周六 20:00-00:30") == [(4, T(20), T(0, 30)), (5, T(20), T(0, 30))]
    assert len(hours.parse("每天 8:30-17:30")) == 7
    assert hours.parse("星期一到星期三 9:00-11:00")[-1] == (2, T(9), T(11))


@pytest.mark.parametrize(
    "periods",
    [
        [(d, T(8, 30), T(12)) for d in range(5)] + [(d, T(14), T(17, 30)) for d in range(5)],
        [(d, T(9), T(11, 30)) for d in range(6)] + [(6, T(9), T(11))],
        [(0, T(18, 30), T(20, 30)), (2, T(18, 30), T(20, 30)), (4, T(20), T(0, 30))],
        [(d, T(8, 30), T(17, 30)) for d in range(7)],
    ],
)
def test_format_then_parse_gives_the_same_periods(periods):
    text = hours.format_periods(periods)
    assert hours.parse(text) == sorted(periods)


@pytest.mark.parametrize(
    "text", ["周八 9:00-10:00", "周一 9点到10点", "周一 9:00-9:00", "周一 25:00-26:00", "8:00-9:00"]
)
def test_unreadable_hours_say_how_to_write_them(text):
    with pytest.raises(ValueError) as exc:
        hours.parse(text)
    assert "周一至周五" in str(exc.value)


def test_the_same_start_twice_is_refused():
    with pytest.raises(ValueError) as exc:
        hours.parse("周一 9:00-10:00；周一至周二 9:00-11:00")
    assert "opens twice" in str(exc.value)
