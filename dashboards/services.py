"""Writes of the dashboards app: rebuilding the pre-aggregated request summaries.

The summaries are derived data. A rebuild replaces the rows of whole days from the requests in one transaction, so running it twice, or in two
workers at once, leaves the same rows.
"""

import datetime

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from resident_requests.models import RequestDepartment, ResidentRequest
from resident_requests.selectors import DEPARTMENT_CALL_STATES

from .models import (
    GRID_COUNTERS,
    CommunityDayCategorySummary,
    CommunityMonthCategorySummary,
    GridDayCategorySummary,
    GridDayDepartmentSummary,
    GridDaySummary,
    GridPeriodCategorySummary,
    GridPeriodSummary,
    Period,
    SummaryState,
    period_end,
    period_start,
)
from .selectors import summary_counters

# Requests changed this long before the last refresh are looked at again: a transaction that
# committed late still has its changes picked up.
REFRESH_OVERLAP = datetime.timedelta(minutes=5)


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def _days_q(days: list[datetime.date]) -> Q:
    """Rows created on any of the days (local time), as index-friendly ranges."""
    q = Q(pk__in=[])
    for day in days:
        q |= Q(
            created_at__gte=_local_midnight(day),
            created_at__lt=_local_midnight(day + datetime.timedelta(days=1)),
        )
    return q


def _write_rows(model, rows, prefix: str = "") -> int:
    """Store the grouped `rows` (a values() queryset whose names are the model's fields, each
    perhaps after `prefix`) as new rows of `model`. On PostgreSQL one INSERT … SELECT: the rows
    never come to Python (a category split makes about as many summary rows as requests, and
    building them as objects took minutes at a million). Elsewhere bulk_create, which converts
    each value (SQLite keeps durations in a form only the ORM reads)."""
    if connection.vendor != "postgresql":
        objs = [model(**{k.removeprefix(prefix): v for k, v in row.items()}) for row in rows]
        model.objects.bulk_create(objs, batch_size=2000)
        return len(objs)
    compiler = rows.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    columns = [
        model._meta.get_field((alias or col.target.attname).removeprefix(prefix)).column
        for col, _, alias in compiler.select
    ]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) {sql}",
            params,
        )
        return cursor.rowcount


def _rebuild_department_days(days_filter: Q) -> int:
    rows = (
        RequestDepartment.objects.filter(days_filter)
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values("day", "department_id", grid_id=F("request__grid_id"))
        .annotate(
            called=Count("pk"),
            acknowledged=Count("pk", filter=DEPARTMENT_CALL_STATES["acknowledged"]),
            done=Count("pk", filter=DEPARTMENT_CALL_STATES["done"]),
        )
    )
    objs = [GridDayDepartmentSummary(**row) for row in rows]
    GridDayDepartmentSummary.objects.bulk_create(objs, batch_size=2000)
    return len(objs)


def _rebuild_days(requests, days_filter: Q) -> None:
    """The daily rows per grid and category of the days in `days_filter`: the one pass over the
    requests. The other daily rows are sums of these (_sum_days)."""
    keys = ["day", "grid_id", "category_id"]
    rows = (
        requests.filter(days_filter)
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values(*keys)
        .annotate(**summary_counters())
        # Written in day order: a day's rows lie together on disk, so reading a few days (the
        # ends of a date range) is a short index range scan, not a pass over the whole table.
        .order_by(*keys)
    )
    _write_rows(GridDayCategorySummary, rows)


def _sum_days(days: list[datetime.date] | None) -> int:
    """GridDaySummary (per grid) and CommunityDayCategorySummary (per community and category)
    of `days` (None: every day), summed from the daily rows per grid and category: every
    counter adds up. Returns the number of GridDaySummary rows written."""
    daily = GridDayCategorySummary.objects.order_by()
    if days is not None:
        daily = daily.filter(day__in=days)
    written = _write_rows(
        GridDaySummary,
        daily.values("day", "grid_id")
        .annotate(**{f"sum_{name}": Sum(name) for name in GRID_COUNTERS})
        .order_by("day", "grid_id"),  # day order, as in _rebuild_days
        prefix="sum_",
    )
    _write_rows(
        CommunityDayCategorySummary,
        daily.values("day", "category_id", community_id=F("grid__community_id"))
        .annotate(sum_received=Sum("received"), sum_resolved=Sum("resolved"))
        .order_by("day", "community_id", "category_id"),
        prefix="sum_",
    )
    return written


def _rebuild_category_months(months: list[datetime.date] | None) -> None:
    """Sum the daily category rows of whole months (None: every month)."""
    monthly = CommunityMonthCategorySummary.objects.all()
    daily = CommunityDayCategorySummary.objects.all()
    if months is not None:
        monthly = monthly.filter(month__in=months)
        q = Q(pk__in=[])
        for month in months:
            q |= Q(day__gte=month, day__lte=period_end(Period.MONTH, month))
        daily = daily.filter(q)
    monthly.delete()
    rows = (
        daily.order_by()
        .annotate(month=TruncMonth("day"))
        .values("month", "community_id", "category_id")
        .annotate(sum_received=Sum("received"), sum_resolved=Sum("resolved"))
    )
    CommunityMonthCategorySummary.objects.bulk_create(
        [
            CommunityMonthCategorySummary(
                month=row["month"],
                community_id=row["community_id"],
                category_id=row["category_id"],
                received=row["sum_received"],
                resolved=row["sum_resolved"],
            )
            for row in rows
        ],
        batch_size=2000,
    )


def _analyze(*models) -> None:
    """After rewriting whole tables: fresh planner statistics at once (PostgreSQL), rather than
    whenever autovacuum comes by, so the dashboard's first reads are planned on the new rows."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _rebuild_grid_periods(days: list[datetime.date] | None, *, by_category: bool) -> None:
    """Sum the daily grid rows of the weeks and months holding `days` (None: all of them), per
    grid or, `by_category`, per grid and category."""
    day_model, model = GridDaySummary, GridPeriodSummary
    keys = ["grid_id"]
    if by_category:
        day_model, model = GridDayCategorySummary, GridPeriodCategorySummary
        keys.append("category_id")
    for period, trunc in ((Period.WEEK, TruncWeek), (Period.MONTH, TruncMonth)):
        rows = model.objects.filter(period=period)
        daily = day_model.objects.all()
        if days is not None:
            starts = sorted({period_start(period, day) for day in days})
            rows = rows.filter(start__in=starts)
            q = Q(pk__in=[])
            for start in starts:
                q |= Q(day__gte=start, day__lte=period_end(period, start))
            daily = daily.filter(q)
        rows.delete()
        sums = (
            daily.order_by()
            .values(*keys, sum_start=trunc("day"), sum_period=Value(period))
            .annotate(**{f"sum_{name}": Sum(name) for name in GRID_COUNTERS})
        )
        _write_rows(model, sums, prefix="sum_")


@transaction.atomic
def summaries_rebuild(*, days: list[datetime.date] | None = None) -> int:
    """Recompute the summary rows of the given local days (None: everything). Returns the
    number of daily rows written."""
    requests = ResidentRequest.objects.all()
    daily = [GridDayCategorySummary, GridDaySummary, CommunityDayCategorySummary]
    if days is None:
        for model in daily + [GridDayDepartmentSummary]:
            model.objects.all().delete()
        _rebuild_days(requests, Q())
        written = _sum_days(None)
        _rebuild_grid_periods(None, by_category=False)
        _rebuild_grid_periods(None, by_category=True)
        _rebuild_category_months(None)
        _rebuild_department_days(Q())
        _analyze(*daily, GridPeriodSummary, GridPeriodCategorySummary)
        return written
    days = sorted(set(days))
    if not days:
        return 0
    for model in daily + [GridDayDepartmentSummary]:
        model.objects.filter(day__in=days).delete()
    _rebuild_days(requests, _days_q(days))
    written = _sum_days(days)
    _rebuild_grid_periods(days, by_category=False)
    _rebuild_grid_periods(days, by_category=True)
    _rebuild_department_days(_days_q(days))
    _rebuild_category_months(sorted({day.replace(day=1) for day in days}))
    return written


def summaries_refresh(
    *, full: bool = False, wait: bool = True, now: datetime.datetime | None = None
) -> int:
    """Bring the summaries up to date with the requests changed since the last refresh.

    Takes the state row's lock, so two refreshes never run at once: with `wait` the second waits
    and then finds little left to do; without, it returns at once (0) and the caller reads the
    summaries as they are. `full`: rebuild every day. Returns the number of days recomputed
    (-1: all of them).
    """
    now = now or timezone.now()
    with transaction.atomic():
        SummaryState.objects.get_or_create(pk=1)
        state = SummaryState.objects.select_for_update(skip_locked=not wait).filter(pk=1).first()
        if state is None:
            return 0  # another refresh is running
        if full or state.refreshed_up_to is None:
            summaries_rebuild()
            count = -1
        else:
            changed = (
                ResidentRequest.objects.filter(
                    updated_at__gte=state.refreshed_up_to - REFRESH_OVERLAP
                )
                .order_by()
                .annotate(day=TruncDate("created_at"))
                .values_list("day", flat=True)
                .distinct()
            )
            since = state.refreshed_up_to - REFRESH_OVERLAP
            # Department calls change without touching their request: their own times say
            # when (called in, reported in, reported done).
            calls = (
                RequestDepartment.objects.filter(
                    Q(created_at__gte=since)
                    | Q(acknowledged_at__gte=since)
                    | Q(reported_done_at__gte=since)
                )
                .order_by()
                .annotate(day=TruncDate("created_at"))
                .values_list("day", flat=True)
                .distinct()
            )
            days = sorted(set(changed) | set(calls))
            summaries_rebuild(days=days)
            count = len(days)
        state.refreshed_up_to = now
        state.refreshed_at = timezone.now()
        state.save()
    return count


def summaries_refresh_if_stale() -> int:
    """For the dashboard page: refresh when no worker has lately (or there is none), unless a
    refresh is already running. Usually only today's and a few other days are recomputed."""
    from .selectors import summaries_stale

    if not summaries_stale():
        return 0
    return summaries_refresh(wait=False)
