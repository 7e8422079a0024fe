"""Reads for the dashboards: which unit a user may look at, and the figures under a unit.

Every figure is an aggregate computed by the database over the unit's MPTT range (one query per
group of figures, whatever the number of units or requests); Python only arranges the results.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Count,
    DurationField,
    F,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek
from django.utils import timezone

from grids import selectors as grid_selectors
from grids.models import Building, Grid, ServiceStation
from organization.models import (
    PARTY_MEMBER_STATUSES,
    OrgForm,
    OrgUnit,
    Person,
    PoliticalStatus,
    Position,
    Role,
    UnitKind,
)
from organization.selectors import (
    OuterUnit,
    scope_q,
    scope_root_units,
    subtree_q,
    unit_contains_q,
    unit_within_q,
    units_visible_to,
)
from party_work.models import HouseholdLink
from party_work.selectors import party_work_by_grid, party_work_figures
from resident_requests.models import (
    LEVEL_ORDER,
    OPEN_STATUSES,
    Category,
    Channel,
    HandlingLevel,
    RequestDepartment,
    ResidentRequest,
)
from resident_requests.selectors import (
    DEPARTMENT_CALL_STATES,
    PAST_DEADLINE_NOW,
    RESOLVED_LATE,
    category_subtree_q,
    figure_q,
)

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

# Drill-down stops at grids: below them (buildings, households) there are no requests to show.
DRILLABLE_KINDS = [UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY]
APPLIED_TO_JOIN = [PoliticalStatus.APPLICANT, PoliticalStatus.ACTIVIST]


# --- Which unit ------------------------------------------------------------------------------


def dashboard_home_unit(user) -> OrgUnit | None:
    """The top unit of the user's scope: the district for the organization department, a
    street for street staff… None for users scoped to no unit (department staff)."""
    return scope_root_units(user).order_by("level", "tree_id", "lft").first()


def dashboard_unit_for(user, unit_id: int) -> OrgUnit | None:
    """The unit, if the user may see it (None otherwise: the view answers 404, so the page
    does not even reveal that a unit outside the scope exists)."""
    return units_visible_to(user).filter(pk=unit_id).first()


def breadcrumb_for(user, unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors the user may see, top down, ending with the unit itself."""
    return list(unit.get_ancestors(include_self=True).filter(scope_q(user)).order_by("level"))


def child_units(unit: OrgUnit):
    """The units one level below, for the drill-down (none below a grid)."""
    if unit.kind not in DRILLABLE_KINDS:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(parent=unit).order_by("code")


# --- Party building (党建) -------------------------------------------------------------------


@dataclass(frozen=True)
class PartyFigures:
    streets: int
    communities: int
    grids: int
    grid_branches: int
    grid_party_groups: int
    grids_without_branch_or_group: int
    building_groups: int
    central_households: int
    households_in_contact: int
    resident_households: int
    party_members: int
    retired_branch_secretaries: int
    party_member_grid_leaders: int
    applicant_grid_leaders: int
    stations: int
    # The 15-minute circle: None when it cannot be computed (shown as such, never made up).
    coverage_percent: float | None = None


def _count(field="pk", **filters):
    return Count(field, filter=Q(**filters) if filters else None, distinct=field != "pk")


def party_figures(unit: OrgUnit, *, households_in_contact: int | None = None) -> PartyFigures:
    """The published party-building figures for a unit's subtree: six queries, any size (five
    when the caller has counted the households in contact already, as party work's figures do)."""
    units = OrgUnit.objects.filter(subtree_q(unit)).aggregate(
        streets=_count(kind=UnitKind.STREET),
        communities=_count(kind=UnitKind.COMMUNITY),
        grid_branches=_count(kind=UnitKind.GRID, org_form=OrgForm.BRANCH),
        grid_party_groups=_count(kind=UnitKind.GRID, org_form=OrgForm.GROUP),
        building_groups=_count(kind=UnitKind.BUILDING),
        central_households=_count(kind=UnitKind.HOUSEHOLD),
    )
    grids = Grid.objects.filter(subtree_q(unit, "unit")).aggregate(
        grids=Count("pk"),
        # "支部建在网格上": every grid has a branch or a party group; anything else shows here.
        grids_without_branch_or_group=Count(
            "pk",
            filter=~Q(unit__kind=UnitKind.GRID, unit__org_form__in=[OrgForm.BRANCH, OrgForm.GROUP]),
        ),
        resident_households=Coalesce(Sum("households"), 0),
    )
    members = Person.objects.filter(
        subtree_q(unit, "membership_unit"), political_status__in=PARTY_MEMBER_STATUSES
    ).count()
    current_grid_posts = Position.objects.filter(
        subtree_q(unit, "unit"), unit__kind=UnitKind.GRID, end_date__isnull=True
    )
    posts = current_grid_posts.aggregate(
        # A grid party group's head (党小组长) is its secretary's counterpart.
        retired_branch_secretaries=_count(
            "person",
            role__in=[Role.SECRETARY, Role.GROUP_LEADER],
            person__retired=True,
            person__political_status__in=PARTY_MEMBER_STATUSES,
        ),
        # Counted only when the leader's membership (组织关系) is in their own grid's unit.
        party_member_grid_leaders=_count(
            "person",
            role=Role.GRID_LEADER,
            person__political_status__in=PARTY_MEMBER_STATUSES,
            person__membership_unit=F("unit"),
        ),
        applicant_grid_leaders=_count(
            "person", role=Role.GRID_LEADER, person__political_status__in=APPLIED_TO_JOIN
        ),
    )
    stations = ServiceStation.objects.filter(subtree_q(unit, "owner_unit"), active=True).count()
    # 党员联户: resident households a central household keeps contact with (party_work's rows).
    in_contact = households_in_contact
    if in_contact is None:
        in_contact = HouseholdLink.objects.filter(
            subtree_q(unit, "central_household"), active=True
        ).count()
    return PartyFigures(
        households_in_contact=in_contact,
        **units,
        **grids,
        **posts,
        party_members=members,
        stations=stations,
        coverage_percent=coverage_percent(unit),
    )


COVERAGE_CACHE_SECONDS = 300


def coverage_percent(unit: OrgUnit) -> float | None:
    """Share of the unit's resident households within a 15-minute walk of an active station
    (the grids app computes it; cached briefly, since stations seldom move). None while the
    grids app has no coverage selector."""
    summary = getattr(grid_selectors, "coverage_summary", None)
    if summary is None:
        return None
    key = f"dashboards:coverage:{unit.pk}"
    value = cache.get(key)
    if value is None:
        row = summary(unit)
        value = round(100.0 * row.household_share, 1) if row.households else ""
        cache.set(key, value, COVERAGE_CACHE_SECONDS)
    return value if value != "" else None


# The organization's figures (party building, party members at work) change when someone edits
# the organization, grids or party work, not with the requests: they are kept in the cache under
# a version that any save or delete in those apps moves on (dashboards.apps), so a page never
# shows figures older than the last edit, and repeated views skip their ~17 queries.
ORGANIZATION_FIGURES_SECONDS = 600
ORGANIZATION_APPS = ("organization", "grids", "party_work")
_VERSION_KEY = "dashboards:organization-version"


def organization_figures_changed(**kwargs) -> None:
    """Signal receiver: the organization's data changed, so every cached figure is stale."""
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:  # no version yet (or the cache was emptied): start one
        cache.set(_VERSION_KEY, 1, None)


def _organization_cached(key: str, compute: Callable[[], Any]) -> Any:
    """`compute()`, kept in the cache under the organization's current version: computed again
    after any edit of the organization, its grids or party work, and at the latest after
    ORGANIZATION_FIGURES_SECONDS (for changes that send no signal)."""
    version = cache.get_or_set(_VERSION_KEY, 1, None)
    full_key = f"dashboards:organization:{version}:{key}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, ORGANIZATION_FIGURES_SECONDS)
    return value


def organization_figures(unit: OrgUnit, year: int):
    """(party members at work, party-building figures, the child units' figures) for the unit:
    from the cache while nothing in the organization has changed, else computed (about 17
    queries, a fixed number)."""

    def compute():
        work = party_work_figures(unit, year=year)
        party = party_figures(unit, households_in_contact=work.households_in_contact)
        return (work, party, party_figures_by_child(unit))

    return _organization_cached(f"{unit.pk}:{year}", compute)


def party_work_in_period(unit: OrgUnit, start: datetime.date, end: datetime.date) -> dict:
    """The grids' party work for the assessment (双挂钩): posts claimed today, household visits
    and volunteer hours from start to end, by grid id (party_work_by_grid), kept in the cache
    as organization_figures are: a visit or an activity recorded is a party-work edit, so the
    next view counts it. Counting a year's visits of a district takes a join of four tables."""
    today = timezone.localdate()
    return _organization_cached(
        f"work:{unit.pk}:{start}:{end}:{today}",
        lambda: party_work_by_grid(unit, start, end, today),
    )


def _range_count(queryset, path: str):
    """A correlated COUNT over the outer unit's range, for annotating a list of units."""
    prefix = f"{path}__" if path else ""
    inner = (
        queryset.filter(unit_within_q(OuterUnit(), path))
        .order_by()
        .values(f"{prefix}tree_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(inner, output_field=IntegerField()), 0)


def party_figures_by_child(unit: OrgUnit) -> list[OrgUnit]:
    """The drill-down rows: each child unit with its main party-building figures (one query)."""
    return list(
        child_units(unit).annotate(
            n_grids=_range_count(Grid.objects.all(), "unit"),
            n_branches=_range_count(
                OrgUnit.objects.filter(kind=UnitKind.GRID, org_form=OrgForm.BRANCH), ""
            ),
            n_groups=_range_count(
                OrgUnit.objects.filter(kind=UnitKind.GRID, org_form=OrgForm.GROUP), ""
            ),
            n_households=_range_count(OrgUnit.objects.filter(kind=UnitKind.HOUSEHOLD), ""),
            n_members=_range_count(
                Person.objects.filter(political_status__in=PARTY_MEMBER_STATUSES),
                "membership_unit",
            ),
            n_stations=_range_count(ServiceStation.objects.filter(active=True), "owner_unit"),
        )
    )


# --- Request handling (诉求办理) ---------------------------------------------------------------


@dataclass(frozen=True)
class RequestFilter:
    """The page's filter: local dates, both included, and an optional category (a top-level
    category takes in its sub-categories)."""

    start: datetime.date
    end: datetime.date
    category_id: int | None = None
    period: str = "week"  # the trend's step: "week" or "month"
    # Where the figures come from: "summary" (the pre-aggregated rows; with a category, the
    # rows split by category), "live" (the requests themselves) or "auto": summaries when
    # enabled.
    source: str = "auto"

    @property
    def uses_summaries(self) -> bool:
        if self.source == "auto":
            return settings.DASHBOARD_SUMMARIES
        return self.source == "summary"

    @cached_property
    def category_ids(self) -> list[int]:
        """The category and its sub-categories (one query, once per filter): as a list of ids,
        PostgreSQL reads the summary tables split by category through their (category, …)
        indexes; given as a subquery it scans them whole."""
        if not self.category_id:
            return []
        ids = Category.objects.filter(Q(pk=self.category_id) | Q(parent_id=self.category_id))
        return list(ids.values_list("pk", flat=True))

    @property
    def in_category(self) -> Q:
        """The summary rows of the category and its sub-categories (all rows without one)."""
        return Q(category_id__in=self.category_ids) if self.category_id else Q()

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        tz = timezone.get_current_timezone()
        start = datetime.datetime.combine(self.start, datetime.time.min, tzinfo=tz)
        end = datetime.datetime.combine(
            self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        )
        return start, end


def _in_grids(unit: OrgUnit, grid_ids: list[int] | None, path: str = "grid") -> Q:
    """Rows of the unit's grids. With `grid_ids` (the unit's grids, already read through
    subtree_q by grids_with_child) the filter is a plain list of keys: PostgreSQL then reads the
    grid-keyed tables through their indexes instead of joining each row to grids and units, and
    estimates the row counts right (it cannot see inside subtree_q's range subqueries)."""
    if grid_ids is None:
        return subtree_q(unit, f"{path}__unit")
    return Q(**{f"{path}_id__in": grid_ids})


def _category_q(category_id: int | None, path: str = "category") -> Q:
    return category_subtree_q(category_id, path)


def requests_received(
    unit: OrgUnit, flt: RequestFilter, grid_ids: list[int] | None = None
) -> QuerySet:
    """The requests received in the unit's subtree in the date range (and category)."""
    start, end = flt.bounds()
    return ResidentRequest.objects.filter(
        _in_grids(unit, grid_ids),
        _category_q(flt.category_id),
        created_at__gte=start,
        created_at__lt=end,
    ).order_by()


def _handling_counters() -> dict:
    """Counters that add up: any roll-up (grid → community → street) is their sum. What each
    counts is resident_requests.selectors.REQUEST_FIGURES, which the admin list filters by."""
    return {
        "received": Count("pk"),
        **{
            name: Count("pk", filter=figure_q(name))
            for name in ("valid", "accepted", "resolved", "closed", "on_time", "late")
        },
        "accept_time": Sum(
            F("accepted_at") - F("created_at"),
            output_field=DurationField(),
            filter=Q(accepted_at__isnull=False),
        ),
        "resolve_time": Sum(
            F("resolved_at") - F("created_at"),
            output_field=DurationField(),
            filter=Q(resolved_at__isnull=False),
        ),
        # 满意率: the resolutions rated "satisfied" or "basically satisfied" over the resolutions
        # rated, each resolution by its own rating (RequestRating): a 不满意 that reopened a
        # request stays counted when a later resolution is rated 满意.
        **_rating_counters(),
        **{
            f"level_{level}": Count("pk", filter=Q(level=level))
            for level in LEVEL_ORDER
            if level != HandlingLevel.GRID
        },
    }


def _rating_counters() -> dict:
    """Resolutions rated, and rated satisfied: the requests' own counters (services keep them
    with RequestRating), summed in the database."""
    return {
        "rated": Coalesce(Sum("rated_count"), 0),
        "satisfied": Coalesce(Sum("satisfied_count"), 0),
    }


@dataclass
class Handling:
    """Summed counters of a set of requests, and the rates derived from them."""

    received: int = 0
    valid: int = 0
    accepted: int = 0
    resolved: int = 0
    closed: int = 0
    on_time: int = 0
    late: int = 0
    accept_time: datetime.timedelta = datetime.timedelta(0)
    resolve_time: datetime.timedelta = datetime.timedelta(0)
    rated: int = 0
    satisfied: int = 0
    level_community: int = 0
    level_street: int = 0
    level_department: int = 0
    open_now: int = 0
    overdue_now: int = 0

    def add(self, row: dict) -> None:
        # Called a few times per grid: straight on the instance's dict, no getattr/setattr.
        counters = self.__dict__
        for key, value in row.items():
            if value is not None and key in counters:
                counters[key] += value

    @property
    def resolution_rate(self):
        return _rate(self.resolved, self.valid)

    @property
    def on_time_rate(self):
        return _rate(self.on_time, self.resolved)

    @property
    def satisfaction_rate(self):
        return _rate(self.satisfied, self.rated)

    @property
    def avg_hours_to_accept(self):
        return _avg_hours(self.accept_time, self.accepted)

    @property
    def avg_hours_to_resolve(self):
        return _avg_hours(self.resolve_time, self.resolved)


def _rate(numerator: int, denominator: int) -> float | None:
    """Per cent with one decimal; None when there is nothing to divide by."""
    return round(100.0 * numerator / denominator, 1) if denominator else None


def _avg_hours(total: datetime.timedelta | None, count: int) -> float | None:
    if not count or total is None:
        return None
    return round(total.total_seconds() / count / 3600.0, 1)


def summary_counters() -> dict:
    """The daily summary's columns, aggregated from the requests of a day and grid. Whether a
    request still open is late changes as time passes, so only the resolved-late part is kept."""
    counters = _handling_counters()
    counters.pop("late")
    counters["resolved_late"] = Count("pk", filter=RESOLVED_LATE)
    return {**counters, **_channel_counters()}


def _channel_counters() -> dict:
    """Received per channel, as columns (channel_web, …)."""
    return {f"channel_{c}": Count("pk", filter=Q(channel=c)) for c in Channel.values}


def _sums(names) -> dict:
    return {f"sum_{name}": Sum(name) for name in names}


def _unsum(row: dict) -> dict:
    return {key.removeprefix("sum_"): value for key, value in row.items()}


def _cover(
    start: datetime.date, end: datetime.date, periods: list[str]
) -> tuple[
    list[tuple[str, datetime.date, datetime.date]], list[tuple[datetime.date, datetime.date]]
]:
    """Cover [start, end] with whole periods, largest first, and days where none fits: returns
    ([(period, first period's first day, last period's first day)], [(first day, last day)]).
    A year from the 2nd of a month is 11 whole months, a few whole weeks and about ten days."""
    if not periods:
        return [], [(start, end)]
    period, smaller = periods[0], periods[1:]
    first = period_start(period, start)
    if first < start:
        first = period_end(period, first) + datetime.timedelta(days=1)
    last = period_start(period, end)
    if period_end(period, last) > end:
        last = period_start(period, last - datetime.timedelta(days=1))
    if first > last:
        return _cover(start, end, smaller)
    wholes, days = [(period, first, last)], []
    if start < first:
        more, rest = _cover(start, first - datetime.timedelta(days=1), smaller)
        wholes, days = wholes + more, days + rest
    after = period_end(period, last)
    if after < end:
        more, rest = _cover(after + datetime.timedelta(days=1), end, smaller)
        wholes, days = wholes + more, days + rest
    return wholes, days


# Whole months, then whole weeks, then days: for figures per grid, and for the monthly trend (a
# whole week inside a part-month belongs to that month). The weekly trend cannot use months.
PERIODS_FOR = {Period.MONTH: [Period.MONTH, Period.WEEK], Period.WEEK: [Period.WEEK]}


def _summary_parts(unit, flt, grid_ids, period: str) -> tuple[QuerySet, QuerySet | None]:
    """The summary rows covering the filter's range: whole periods from GridPeriodSummary, the
    days left over from GridDaySummary (two queries at most, the fewest rows). Both carry the
    same counters, so their rows add up. With a category, the same from the tables split by
    category, for that category and its sub-categories."""
    day_model, period_model = GridDaySummary, GridPeriodSummary
    if flt.category_id:
        day_model, period_model = GridDayCategorySummary, GridPeriodCategorySummary
    wholes, days = _cover(flt.start, flt.end, PERIODS_FOR[period])
    in_days = Q(pk__in=[])
    for first, last in days:
        in_days |= Q(day__gte=first, day__lte=last)
    if flt.category_id:
        # The days themselves (at most a part-week at each end): with the categories, both
        # are conditions of dash_griddaycat_idx, where ranges OR-ed together are not.
        in_days = Q(
            day__in=[
                first + datetime.timedelta(days=n)
                for first, last in days
                for n in range((last - first).days + 1)
            ]
        )
    in_periods = Q(pk__in=[])
    for kind, first, last in wholes:
        in_periods |= Q(period=kind, start__gte=first, start__lte=last)
    scope = _in_grids(unit, grid_ids) & flt.in_category
    return (
        day_model.objects.filter(scope, in_days).order_by(),
        period_model.objects.filter(scope, in_periods).order_by() if wholes else None,
    )


def _add_to(total: dict, row: dict) -> None:
    for key, value in row.items():
        if value is None:
            total.setdefault(key, None)
        elif total.get(key) is None:
            total[key] = value
        else:
            total[key] += value


def handling_by_grid(
    unit: OrgUnit, flt: RequestFilter, grid_ids: list[int] | None = None
) -> dict[int, dict]:
    """Counters per grid (GROUP BY grid, at most one row per grid), keyed by grid id."""
    if not flt.uses_summaries:
        rows = (
            requests_received(unit, flt, grid_ids)
            .values("grid_id")
            .annotate(**_handling_counters(), **_channel_counters())
        )
        return {row.pop("grid_id"): row for row in rows}
    # From the summaries, "late" is the resolved-late part: open_by_grid adds the requests
    # still open past their deadline (they change with the clock, not with a write). The channel
    # columns come along for by_channel.
    by_grid: dict[int, dict] = {}
    for part in _summary_parts(unit, flt, grid_ids, Period.MONTH):
        if part is None:
            continue
        for row in part.values("grid_id").annotate(**_sums(GRID_COUNTERS)):
            row = _unsum(row)
            row["late"] = row.pop("resolved_late")
            _add_to(by_grid.setdefault(row.pop("grid_id"), {}), row)
    return by_grid


def open_by_grid(
    unit: OrgUnit, flt: RequestFilter, grid_ids: list[int] | None = None
) -> dict[int, dict]:
    """Requests open now per grid (any date, the filter's category), how many of them are past
    their deadline, and, when the other figures come from the summaries, how many of those were
    received in the date range: the summaries' "late" leaves them out (see handling_by_grid).

    Without a category it is an index-only scan of rr_open_grid_idx: the counters below read
    only the columns that index holds (the rows are open already, so no status test in them)."""
    counters = {
        "open_now": Count("pk"),
        # The rows are open already: the overdue test alone (figure_q("overdue_now") adds
        # the status, which this index-only scan need not read again).
        "overdue_now": Count("pk", filter=Q(overdue=True) | PAST_DEADLINE_NOW),
    }
    if flt.uses_summaries:
        start, end = flt.bounds()
        counters["late"] = Count(
            "pk",
            filter=PAST_DEADLINE_NOW & Q(created_at__gte=start, created_at__lt=end),
        )
    rows = (
        ResidentRequest.objects.filter(
            _in_grids(unit, grid_ids), _category_q(flt.category_id), status__in=OPEN_STATUSES
        )
        .order_by()
        .values("grid_id")
        .annotate(**counters)
    )
    return {row.pop("grid_id"): row for row in rows}


def grids_with_child(unit: OrgUnit) -> list[dict]:
    """The unit's grids (their branch or party group, centre, households), each with the child
    of `unit` it lies under, so grid rows roll up into the drill-down rows (one query)."""
    child = OrgUnit.objects.filter(unit_contains_q(OuterUnit("unit")), parent_id=unit.pk).values(
        "pk"
    )[:1]
    return list(
        Grid.objects.filter(subtree_q(unit, "unit"))
        .annotate(child_id=Subquery(child))
        .order_by("code")
        .values(
            "pk",
            "code",
            "name",
            "center_lat",
            "center_lng",
            "unit_id",
            "unit__name",
            "unit__org_form",
            "child_id",
        )
    )


# The heat layer shows the busiest buildings only: enough for a street, a bounded payload for
# the district.
HEAT_BUILDINGS = 500


def received_by_building(
    unit: OrgUnit, flt: RequestFilter, grid_ids: list[int] | None = None
) -> list[dict]:
    """Requests received in the date range (and category) per building, with its position:
    the busiest HEAT_BUILDINGS (requests at no building are left out). Two queries: the counts
    grouped by building id alone (no join over the requests), then those buildings' names and
    positions."""
    counts = list(
        requests_received(unit, flt, grid_ids)
        .filter(building__isnull=False)
        .values("building_id")
        .annotate(received=Count("pk"))
        .order_by("-received", "building_id")[:HEAT_BUILDINGS]
    )
    if not counts:
        return []
    places = Building.objects.only("name", "lat", "lng").in_bulk(
        [row["building_id"] for row in counts]
    )
    return [
        {
            "building_id": row["building_id"],
            "building__name": places[row["building_id"]].name,
            "building__lat": places[row["building_id"]].lat,
            "building__lng": places[row["building_id"]].lng,
            "received": row["received"],
        }
        for row in counts
        if row["building_id"] in places
    ]


def trend(unit: OrgUnit, flt: RequestFilter, grid_ids: list[int] | None = None) -> list[dict]:
    """Received, and of those resolved, per week or month of receipt."""
    trunc = TruncMonth if flt.period == "month" else TruncWeek
    if flt.uses_summaries:
        periods: dict[datetime.date, dict] = {}
        # Days at the ends fall into their week or month; whole periods are one row a grid.
        days, wholes = _summary_parts(unit, flt, grid_ids, flt.period)
        parts = [days.annotate(bucket=trunc("day"))]
        if wholes is not None:
            parts.append(wholes.annotate(bucket=trunc("start")))
        for part in parts:
            for row in part.values("bucket").annotate(**_sums(["received", "resolved"])):
                _add_to(periods.setdefault(row.pop("bucket"), {}), _unsum(row))
        return [{"period": period, **periods[period]} for period in sorted(periods)]
    return list(
        requests_received(unit, flt, grid_ids)
        .annotate(period=trunc("created_at"))
        .values("period")
        .annotate(received=Count("pk"), resolved=Count("pk", filter=Q(resolved_at__isnull=False)))
        .order_by("period")
    )


def by_channel(
    unit: OrgUnit,
    flt: RequestFilter,
    by_grid: dict | None = None,
    grid_ids: list[int] | None = None,
) -> list[dict]:
    """Received per channel: summed from handling_by_grid's rows (at most one per grid), which
    carry the channel columns, so no second pass over the summaries or the requests."""
    if by_grid is not None or flt.uses_summaries:
        if by_grid is None:
            by_grid = handling_by_grid(unit, flt, grid_ids)
        rows = [
            {
                "channel": channel,
                "received": sum(row.get(f"channel_{channel}") or 0 for row in by_grid.values()),
            }
            for channel in Channel.values
        ]
        return sorted(
            (row for row in rows if row["received"]), key=lambda r: (-r["received"], r["channel"])
        )
    return list(
        requests_received(unit, flt, grid_ids)
        .values("channel")
        .annotate(received=Count("pk"))
        .order_by("-received", "channel")
    )


TOP_CATEGORIES = 10


def top_categories(
    unit: OrgUnit, flt: RequestFilter, grid_ids: list[int] | None = None
) -> list[dict]:
    """The most frequent categories. From summaries above a grid (per community and day);
    a grid's own requests are counted live (they are few)."""
    if flt.uses_summaries and unit.kind != UnitKind.GRID:
        # Whole months from the monthly rows; the part-months at the ends from the daily ones.
        whole, _ = _cover(flt.start, flt.end, [Period.MONTH])
        months = whole[0][1:] if whole else None
        daily = CommunityDayCategorySummary.objects.filter(
            subtree_q(unit, "community"), flt.in_category
        )
        totals: dict[int, dict] = {}
        parts = []
        if months:
            parts.append(
                CommunityMonthCategorySummary.objects.filter(
                    subtree_q(unit, "community"),
                    flt.in_category,
                    month__gte=months[0],
                    month__lte=months[1],
                )
            )
            parts.append(
                daily.filter(
                    Q(day__gte=flt.start, day__lt=months[0])
                    | Q(day__gt=period_end(Period.MONTH, months[1]), day__lte=flt.end)
                )
            )
        else:
            parts.append(daily.filter(day__gte=flt.start, day__lte=flt.end))
        for part in parts:
            for row in (
                part.order_by().values("category_id").annotate(**_sums(["received", "resolved"]))
            ):
                total = totals.setdefault(
                    row["category_id"], {"sum_received": 0, "sum_resolved": 0}
                )
                total["sum_received"] += row["sum_received"]
                total["sum_resolved"] += row["sum_resolved"]
        rows = sorted(
            ({"category_id": pk, **sums} for pk, sums in totals.items()),
            key=lambda r: (-r["sum_received"], r["category_id"]),
        )[:TOP_CATEGORIES]
        names = {
            row["pk"]: row
            for row in Category.objects.filter(pk__in=[r["category_id"] for r in rows]).values(
                "pk", "name", "parent__name"
            )
        }
        return [
            {
                "category_id": row["category_id"],
                "category__name": names[row["category_id"]]["name"],
                "category__parent__name": names[row["category_id"]]["parent__name"],
                "received": row["sum_received"],
                "resolved": row["sum_resolved"],
            }
            for row in rows
        ]
    return list(
        requests_received(unit, flt, grid_ids)
        .values("category_id", "category__name", "category__parent__name")
        .annotate(received=Count("pk"), resolved=Count("pk", filter=Q(resolved_at__isnull=False)))
        .order_by("-received", "category_id")[:TOP_CATEGORIES]
    )


def escalations_by_department(
    unit: OrgUnit, flt: RequestFilter, grid_ids: list[int] | None = None
) -> list[dict]:
    """Departments called in (吹哨) in the date range: called, reported in (报到), done. The
    daily department rows are not split by category: with one, the calls are counted live
    (they are few beside the requests)."""
    if flt.uses_summaries and not flt.category_id:
        return [
            _unsum(row)
            for row in GridDayDepartmentSummary.objects.filter(
                _in_grids(unit, grid_ids), day__gte=flt.start, day__lte=flt.end
            )
            .order_by()
            .values("department_id", "department__name")
            .annotate(**_sums(["called", "acknowledged", "done"]))
            .order_by("-sum_called", "department__name")
        ]
    start, end = flt.bounds()
    return list(
        RequestDepartment.objects.filter(
            subtree_q(unit, "request__grid__unit"),
            _category_q(flt.category_id, "request__category"),
            created_at__gte=start,
            created_at__lt=end,
        )
        .order_by()
        .values("department_id", "department__name")
        .annotate(
            called=Count("pk"),
            acknowledged=Count("pk", filter=DEPARTMENT_CALL_STATES["acknowledged"]),
            done=Count("pk", filter=DEPARTMENT_CALL_STATES["done"]),
        )
        .order_by("-called", "department__name")
    )


def request_categories():
    """The categories to filter by, top-level ones first with their sub-categories after."""
    return list(
        Category.objects.order_by(
            Coalesce("parent__sort_order", "sort_order"),
            Coalesce("parent_id", "pk"),
            F("parent_id").asc(nulls_first=True),
            "sort_order",
            "code",
        ).values("pk", "name", "parent_id")
    )


# --- The public summary on the home page -----------------------------------------------------

PUBLIC_SUMMARY_SECONDS = 300


def public_summary() -> dict:
    """This month's district-wide figures for residents: counts and a rate, no personal data.
    Cached for a few minutes: the home page is the busiest page and the figures move slowly."""
    key = "dashboards:public-summary"
    figures = cache.get(key)
    if figures is None:
        today = timezone.localdate()
        month_start = datetime.datetime.combine(
            today.replace(day=1), datetime.time.min, tzinfo=timezone.get_current_timezone()
        )
        resolved = ResidentRequest.objects.filter(resolved_at__gte=month_start).aggregate(
            resolved=Count("pk"),
            **_rating_counters(),
        )
        figures = {
            "month": today.replace(day=1),
            "resolved": resolved["resolved"],
            "satisfaction_rate": _rate(resolved["satisfied"], resolved["rated"]),
            "stations": ServiceStation.objects.filter(active=True).count(),
        }
        cache.set(key, figures, PUBLIC_SUMMARY_SECONDS)
    return figures


def summaries_stale() -> bool:
    """Whether the summaries are older than settings.DASHBOARD_SUMMARY_MAX_AGE (or missing)."""
    refreshed_at = SummaryState.objects.values_list("refreshed_at", flat=True).first()
    if refreshed_at is None:
        return True
    age = timezone.now() - refreshed_at
    return age.total_seconds() > settings.DASHBOARD_SUMMARY_MAX_AGE
