"""Pre-aggregated request figures, so the district's dashboard reads thousands of summary rows
instead of a million requests.

Rows are derived data: dashboards.services rebuilds them from the requests (a Celery task keeps
them current), and tests check that the dashboard reads the same numbers from them as live.
Every counter is a count or a sum over the requests *received* that day, so any roll-up is a sum.
"""

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.models import Grid
from organization.models import Department, OrgUnit
from resident_requests.models import Category


class GridCounters(models.Model):
    """The counters of a grid's requests received in a day or a period, counted the dashboard's
    ways (dashboards.selectors.summary_counters). Each is a count or a sum: rows add up."""

    received = models.PositiveIntegerField(default=0)
    valid = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    # Resolved after the deadline; requests still open past it are counted live (time moves on).
    resolved_late = models.PositiveIntegerField(default=0)
    accept_time = models.DurationField(null=True)
    resolve_time = models.DurationField(null=True)
    rated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    level_community = models.PositiveIntegerField(default=0)
    level_street = models.PositiveIntegerField(default=0)
    level_department = models.PositiveIntegerField(default=0)
    channel_web = models.PositiveIntegerField(default=0)
    channel_walk_in = models.PositiveIntegerField(default=0)
    channel_patrol = models.PositiveIntegerField(default=0)
    channel_phone = models.PositiveIntegerField(default=0)
    channel_reception_day = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


# The counters' names, as the summary tables store (and sum) them.
GRID_COUNTERS = [field.name for field in GridCounters._meta.fields]


class GridDaySummary(GridCounters):
    """The requests a grid received on one day (local time)."""

    SCOPE_PATH = "grid__unit"

    day = models.DateField(_("day received"))
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("grid"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # dash_gridday_grid_idx leads with it
    )

    class Meta:
        verbose_name = _("daily request summary")
        verbose_name_plural = _("daily request summaries")
        constraints = [
            models.UniqueConstraint(fields=["day", "grid"], name="dash_gridday_once"),
        ]
        indexes = [
            # The scope's grids (a list of ids) and a few days (the ends of a date range): both
            # in the index, so only those rows are read.
            models.Index(fields=["grid", "day"], name="dash_gridday_grid_idx"),
        ]

    def __str__(self):
        return f"{self.day} · {self.grid_id} · {self.received}"


class Period(models.TextChoices):
    WEEK = "week", _("week (Monday to Sunday)")
    MONTH = "month", _("calendar month")


def period_start(period: str, day: datetime.date) -> datetime.date:
    """The first day of the calendar week (Monday) or month holding `day`."""
    if period == Period.WEEK:
        return day - datetime.timedelta(days=day.weekday())
    return day.replace(day=1)


def period_end(period: str, start: datetime.date) -> datetime.date:
    """The last day of the period beginning on `start`."""
    if period == Period.WEEK:
        return start + datetime.timedelta(days=6)
    next_month = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return next_month - datetime.timedelta(days=1)


class GridPeriodSummary(GridCounters):
    """The daily rows summed per grid and calendar week or month, so that a long date range
    reads one row per grid and whole month (or week, for the weekly trend) and daily rows only
    for the part-periods at its ends: a year is 12 rows a grid instead of 365."""

    SCOPE_PATH = "grid__unit"

    period = models.CharField(_("period"), max_length=5, choices=Period.choices)
    start = models.DateField(_("first day of the period"))
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("grid"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # dash_gridperiod_grid_idx leads with it
    )

    class Meta:
        verbose_name = _("weekly or monthly request summary")
        verbose_name_plural = _("weekly and monthly request summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "start", "grid"], name="dash_gridperiod_once"
            ),
        ]
        indexes = [
            models.Index(fields=["grid", "period", "start"], name="dash_gridperiod_grid_idx"),
        ]

    def __str__(self):
        return f"{self.period} {self.start} · {self.grid_id} · {self.received}"


class GridDayCategorySummary(GridCounters):
    """The requests of one category a grid received on one day: GridDaySummary split by
    category, so the dashboard for one category (with its sub-categories) reads summary rows
    too, not the requests (at ten million requests a category's year took seconds live)."""

    SCOPE_PATH = "grid__unit"

    day = models.DateField(_("day received"))
    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # dash_griddaycat_idx leads with it
    )

    class Meta:
        verbose_name = _("daily request summary by category")
        verbose_name_plural = _("daily request summaries by category")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "grid", "category"], name="dash_griddaycat_once"
            ),
        ]
        indexes = [
            # One category (or a parent's few) over a few days: the ends of a date range.
            models.Index(fields=["category", "day", "grid"], name="dash_griddaycat_idx"),
        ]

    def __str__(self):
        return f"{self.day} · {self.grid_id} · {self.category_id} · {self.received}"


class GridPeriodCategorySummary(GridCounters):
    """GridPeriodSummary split by category: the daily category rows summed per grid and
    calendar week or month."""

    SCOPE_PATH = "grid__unit"

    period = models.CharField(_("period"), max_length=5, choices=Period.choices)
    start = models.DateField(_("first day of the period"))
    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # dash_gridperiodcat_idx leads with it
    )

    class Meta:
        verbose_name = _("weekly or monthly request summary by category")
        verbose_name_plural = _("weekly and monthly request summaries by category")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "start", "grid", "category"], name="dash_gridperiodcat_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["category", "period", "start", "grid"], name="dash_gridperiodcat_idx"
            ),
        ]

    def __str__(self):
        return f"{self.period} {self.start} · {self.grid_id} · {self.category_id} · {self.received}"


class CategoryCounts(models.Model):
    """Received and resolved per community and category, for one period (a day or a month)."""

    SCOPE_PATH = "community"

    community = models.ForeignKey(
        OrgUnit, verbose_name=_("community"), on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="+"
    )
    received = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class CommunityDayCategorySummary(CategoryCounts):
    """Received and resolved per community, day and category: the top categories' source.
    By community, not grid: a grid's own requests are few enough to count live, and per grid
    the rows would be almost as many as the requests."""

    day = models.DateField(_("day received"))

    class Meta:
        verbose_name = _("daily category summary")
        verbose_name_plural = _("daily category summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "community", "category"], name="dash_daycat_once"
            ),
        ]

    def __str__(self):
        return f"{self.day} · {self.community_id} · {self.category_id} · {self.received}"


class CommunityMonthCategorySummary(CategoryCounts):
    """The daily category rows summed per month, so a long date range reads a few rows per
    month and community; only the part-months at its ends read daily rows."""

    month = models.DateField(_("first day of the month"))

    class Meta:
        verbose_name = _("monthly category summary")
        verbose_name_plural = _("monthly category summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "community", "category"], name="dash_monthcat_once"
            ),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} · {self.community_id} · {self.category_id} · {self.received}"


class GridDayDepartmentSummary(models.Model):
    """Departments called in (吹哨) per grid and day of the call: called, reported in, done.
    Read instead of joining every call to its request (a million-row table) for the scope."""

    SCOPE_PATH = "grid__unit"

    day = models.DateField(_("day called in"))
    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="+"
    )
    called = models.PositiveIntegerField(default=0)
    acknowledged = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily department summary")
        verbose_name_plural = _("daily department summaries")
        constraints = [
            models.UniqueConstraint(fields=["day", "grid", "department"], name="dash_daydept_once"),
        ]

    def __str__(self):
        return f"{self.day} · {self.grid_id} · {self.department_id} · {self.called}"


class SummaryState(models.Model):
    """One row: up to which request change (updated_at) the summaries are current."""

    refreshed_up_to = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("summary state")
        verbose_name_plural = _("summary state")

    def __str__(self):
        return f"{self.refreshed_up_to}"
