"""Writes of the dashboards app: rebuilding the pre-aggregated request summaries.

The summaries are derived data. A rebuild replaces the rows of whole days from the requests in one transaction, so running it twice, or in two
workers at once, leaves the same rows.
"""

import datetime

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from resident_requests.models import RequestDepartment, ResidentRequest

from .models import (
    CommunityDayCategorySummary,
    CommunityMonthCategorySummary,
    GridDayDepartmentSummary,
    GridDaySummary,
    SummaryState,
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


def _rebuild_department_days(days_filter: Q) -> int:
    rows = (
        RequestDepartment.objects.filter(days_filter)
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values("day", "department_id", grid_id=F("request__grid_id"))
        .annotate(
            called=Count("pk"),
            acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
            done=Count("pk", filter=Q(reported_done_at__isnull=False)),
        )
    )
    objs = [GridDayDepartmentSummary(**row) for row in rows]
    GridDayDepartmentSummary.objects.bulk_create(objs, batch_size=2000)
    return len(objs)


def _rebuild_days(requests, days_filter: Q) -> int:
    rows = (
        requests.filter(days_filter)
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values("day", "grid_id")
        .annotate(**summary_counters())
    )
    objs = [GridDaySummary(**row) for row in rows]
    GridDaySummary.objects.bulk_create(objs, batch_size=2000)
    return len(objs)


def _rebuild_categories(requests, days_filter: Q) -> int:
    rows = (
        requests.filter(days_filter)
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values("day", "category_id", community_id=F("grid__community_id"))
        .annotate(received=Count("pk"), resolved=Count("pk", filter=Q(resolved_at__isnull=False)))
    )
    objs = [CommunityDayCategorySummary(**row) for row in rows]
    CommunityDayCategorySummary.objects.bulk_create(objs, batch_size=2000)
    return len(objs)


def _rebuild_category_months(months: list[datetime.date] | None) -> None:
    """Sum the daily category rows of whole months (None: every month)."""
    monthly = CommunityMonthCategorySummary.objects.all()
    daily = CommunityDayCategorySummary.objects.all()
    if months is not None:
        monthly = monthly.filter(month__in=months)
        q = Q(pk__in=[])
        for month in months:
            after = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
            q |= Q(day__gte=month, day__lt=after)
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


@transaction.atomic
def summaries_rebuild(*, days: list[datetime.date] | None = None) -> int:
    """Recompute the summary rows of the given local days (None: everything). Returns the
    number of daily rows written."""
    requests = ResidentRequest.objects.all()
    if days is None:
        GridDaySummary.objects.all().delete()
        CommunityDayCategorySummary.objects.all().delete()
        GridDayDepartmentSummary.objects.all().delete()
        written = _rebuild_days(requests, Q())
        _rebuild_categories(requests, Q())
        _rebuild_category_months(None)
        _rebuild_department_days(Q())
        return written
    days = sorted(set(days))
    if not days:
        return 0
    GridDaySummary.objects.filter(day__in=days).delete()
    written = _rebuild_days(requests, _days_q(days))
    GridDayDepartmentSummary.objects.filter(day__in=days).delete()
    _rebuild_department_days(_days_q(days))
    CommunityDayCategorySummary.objects.filter(day__in=days).delete()
    _rebuild_categories(requests, _days_q(days))
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
