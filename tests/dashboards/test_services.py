"""The pre-aggregated summaries: they give the live numbers, and refreshing keeps them so."""

import dataclasses
import datetime
import random

import pytest
from django.db.models import Q
from django.utils import timezone

from dashboards.boards import build_dashboard
from dashboards.models import GridDaySummary, GridPeriodSummary, Period
from dashboards.selectors import RequestFilter
from dashboards.services import summaries_refresh
from resident_requests.models import (
    Channel,
    HandlingLevel,
    Rating,
    RequestDepartment,
    ResidentRequest,
    Status,
)

from .conftest import JANUARY
from .factories import at, department_link, request

pytestmark = pytest.mark.django_db


def _tables(unit, flt, source):
    board = build_dashboard(
        unit=unit, flt=dataclasses.replace(flt, source=source), link_for=lambda c: ""
    )
    tables = {key: table.rows for key, table in board.tables.items()}
    return board.handling, tables


def _assert_same(unit, flt):
    live_handling, live = _tables(unit, flt, "live")
    summary_handling, summary = _tables(unit, flt, "summary")
    assert summary_handling == live_handling
    assert summary == live


@pytest.fixture
def many(world):
    """A hundred and fifty random requests over three months around the hand-counted ones."""
    rng = random.Random(6)
    grids = [world.g1, world.g2, world.g3, world.g4]
    statuses = list(Status.values)
    for _ in range(150):
        created = at("2025-12-01", rng.randrange(24)) + datetime.timedelta(days=rng.randrange(90))
        status = rng.choice(statuses)
        resolved = status in (Status.RESOLVED, Status.CLOSED)
        request(
            rng.choice(grids),
            rng.choice([world.garbage, world.lights]),
            created,
            accepted_after=rng.choice([None, 1, 3, 30]) if status != Status.SUBMITTED else None,
            resolved_after=rng.choice([5, 50, 100]) if resolved else None,
            deadline_after=rng.choice([None, 72, 72, 24]),
            status=status,
            channel=rng.choice(Channel.values),
            level=rng.choice(HandlingLevel.values),
            rating=rng.choice(Rating.values + [""]) if resolved else "",
        )
    calls = list(ResidentRequest.objects.filter(level=HandlingLevel.DEPARTMENT)[:30])
    for req in calls:
        department_link(
            req,
            world.dept,
            called=req.created_at + datetime.timedelta(hours=rng.choice([5, 30, 400])),
            acknowledged=rng.random() < 0.7,
            done=rng.random() < 0.4,
        )
    summaries_refresh(full=True)
    return world


@pytest.mark.parametrize(
    "start, end, period",
    [
        ("2026-01-01", "2026-01-31", "week"),  # one whole month
        ("2025-12-10", "2026-02-20", "month"),  # part-months around a whole one
        ("2026-01-03", "2026-01-17", "week"),  # inside one month
        ("2025-11-01", "2026-03-31", "month"),  # everything
        ("2025-12-03", "2026-02-25", "week"),  # part-weeks and part-months at both ends
        ("2025-12-29", "2026-01-04", "week"),  # one whole week across two months
        ("2025-12-01", "2026-02-28", "month"),  # whole months only
        ("2026-01-31", "2026-02-01", "month"),  # two days, no whole period
    ],
)
@pytest.mark.parametrize("category", [None, "env", "garbage"])
def test_summaries_give_the_live_numbers(many, start, end, period, category):
    """Every table of the page, from the summaries and live, for the whole district down to a
    grid; with a top-level category (its sub-categories taken in) or a sub-category, the
    summaries split by category."""
    flt = RequestFilter(
        start=datetime.date.fromisoformat(start),
        end=datetime.date.fromisoformat(end),
        period=period,
        category_id=getattr(many, category).pk if category else None,
    )
    for unit in (many.district, many.s1, many.c1, many.u1):
        _assert_same(unit, flt)


def test_a_refresh_picks_up_changed_and_new_requests(world):
    summaries_refresh(full=True)
    # Resolve the open request r3 (as the services do: save() touches updated_at) and receive a
    # new one; the summaries catch up on the next refresh, and only then.
    world.r3.status = Status.RESOLVED
    world.r3.resolved_at = world.r3.created_at + datetime.timedelta(hours=3)
    world.r3.save()
    request(world.g3, world.lights, at("2026-01-20"), status=Status.SUBMITTED)
    stale, _ = _tables(world.district, JANUARY, "summary")
    assert (stale.received, stale.resolved) == (6, 4)

    days = summaries_refresh()
    assert days >= 2  # 7 and 20 January (and whatever else changed since)
    _assert_same(world.district, JANUARY)
    fresh, _ = _tables(world.district, JANUARY, "summary")
    assert (fresh.received, fresh.resolved) == (7, 5)


def test_a_request_going_overdue_needs_no_refresh(world):
    # Open past the deadline is counted live: it changes with the clock, not with a write.
    new = request(world.g3, world.lights, timezone.now() - datetime.timedelta(hours=2))
    summaries_refresh(full=True)
    today = timezone.localdate()
    flt = RequestFilter(start=today - datetime.timedelta(days=1), end=today)
    before, _ = _tables(world.district, flt, "summary")
    assert before.late == 0
    ResidentRequest.objects.filter(pk=new.pk).update(
        resolve_deadline=timezone.now() - datetime.timedelta(minutes=1)
    )
    after, _ = _tables(world.district, flt, "summary")
    assert after.late == 1
    _assert_same(world.district, flt)


def _summary_rows():
    def rows(model, *order):
        return [
            {k: v for k, v in row.items() if k != "id"}
            for row in model.objects.order_by(*order).values()
        ]

    return rows(GridDaySummary, "day", "grid_id"), rows(
        GridPeriodSummary, "period", "start", "grid_id"
    )


def test_refreshing_twice_changes_nothing(world):
    summaries_refresh(full=True)
    rows = _summary_rows()
    assert rows[0] and rows[1]
    summaries_refresh()
    summaries_refresh(full=True)
    assert _summary_rows() == rows


def test_a_refresh_rebuilds_only_the_weeks_and_months_of_the_changed_days(world):
    # The fixture's rows were written just now: age them, so the next refresh sees only the
    # request received below as changed.
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    ResidentRequest.objects.update(updated_at=an_hour_ago)
    RequestDepartment.objects.update(
        created_at=an_hour_ago, acknowledged_at=None, reported_done_at=None
    )
    summaries_refresh(full=True)
    changed = Q(period=Period.WEEK, start=datetime.date(2026, 1, 19)) | Q(
        period=Period.MONTH, start=datetime.date(2026, 1, 1)
    )
    untouched = set(GridPeriodSummary.objects.exclude(changed).values_list("pk", flat=True))
    assert untouched
    request(world.g3, world.lights, at("2026-01-20"), status=Status.SUBMITTED)
    summaries_refresh()
    week = GridPeriodSummary.objects.get(
        period=Period.WEEK, start=datetime.date(2026, 1, 19), grid=world.g3
    )
    month = GridPeriodSummary.objects.get(
        period=Period.MONTH, start=datetime.date(2026, 1, 1), grid=world.g3
    )
    daily = GridDaySummary.objects.filter(grid=world.g3)
    assert week.received == sum(
        daily.filter(day__range=("2026-01-19", "2026-01-25")).values_list("received", flat=True)
    )
    assert month.received == sum(
        daily.filter(day__range=("2026-01-01", "2026-01-31")).values_list("received", flat=True)
    )
    # The other weeks and months were not rewritten (a rewrite gives rows new ids).
    assert set(GridPeriodSummary.objects.exclude(changed).values_list("pk", flat=True)) == (
        untouched
    )


def test_a_refresh_picks_up_a_department_reporting_in(world):
    summaries_refresh(full=True)
    link = world.r5.department_links.get()
    assert link.acknowledged_at is None
    link.acknowledged_at = timezone.now()
    link.save()  # as department_acknowledge does: the request itself is not touched
    summaries_refresh()
    _, tables = _tables(world.district, JANUARY, "summary")
    assert tables["departments"] == [["区城管局", 2, 2, 1]]
    _assert_same(world.district, JANUARY)
