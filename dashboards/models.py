"""Pre-aggregated request figures, so the district's dashboard reads thousands of summary rows
instead of a million requests.

Rows are derived data: dashboards.services rebuilds them from the requests (a Celery task keeps
them current), and tests check that the dashboard reads the same numbers from them as live.
Every counter is a count or a sum over the requests *received* that day, so any roll-up is a sum.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.models import Grid
from resident_requests.models import Category


class GridDaySummary(models.Model):
    """The requests a grid received on one day (local time), counted the dashboard's ways."""

    SCOPE_PATH = "grid__unit"

    day = models.DateField(_("day received"))
    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.CASCADE, related_name="+"
    )
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
        verbose_name = _("daily request summary")
        verbose_name_plural = _("daily request summaries")
        constraints = [
            models.UniqueConstraint(fields=["day", "grid"], name="dash_gridday_once"),
        ]

    def __str__(self):
        return f"{self.day} · {self.grid_id} · {self.received}"


class GridMonthCategorySummary(models.Model):
    """Received and resolved per grid, month and category: the top categories' source."""

    SCOPE_PATH = "grid__unit"

    month = models.DateField(_("first day of the month"))
    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="+"
    )
    received = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("monthly category summary")
        verbose_name_plural = _("monthly category summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "grid", "category"], name="dash_monthcat_once"
            ),
        ]
        indexes = [models.Index(fields=["month", "category"], name="dash_monthcat_idx")]

    def __str__(self):
        return f"{self.month:%Y-%m} · {self.grid_id} · {self.category_id} · {self.received}"


class SummaryState(models.Model):
    """One row: up to which request change (updated_at) the summaries are current."""

    refreshed_up_to = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("summary state")
        verbose_name_plural = _("summary state")

    def __str__(self):
        return f"{self.refreshed_up_to}"
