"""Reads of party members' work: teams for a grid, a grid's claimed posts, the 90-day visit list,
coming reception sessions, the vanguard ranking and honour roll, and the dashboard indicators.

Indicator selectors take a scope unit and count over its MPTT range (organization.selectors.
subtree_q), a fixed number of queries whatever the unit's size.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from grids.models import Grid
from organization.models import OrgUnit, Person, UnitKind
from organization.selectors import filter_visible, subtree_q

from . import points
from .models import (
    Activity,
    HouseholdLink,
    HouseholdVisit,
    PostClaim,
    ReceptionBooking,
    ReceptionSession,
    Representative,
    ServiceProject,
    SessionStatus,
    VanguardAward,
    VolunteerTeam,
)

VISIT_DUE_DAYS = 90  # 党员联户: a household not visited for this long is on the to-do list


# --- Teams and posts ------------------------------------------------------------------------------


def teams_for_grid(grid: Grid) -> QuerySet[VolunteerTeam]:
    """The grid's active volunteer teams: the ones a request in this grid can be dispatched to."""
    return (
        VolunteerTeam.objects.filter(grid_id=grid.pk, active=True)
        .select_related("leader")
        .annotate(n_members=Count("members"))
        .order_by("name")
    )


def teams_for_community(community: OrgUnit) -> QuerySet[VolunteerTeam]:
    """Active teams of every grid of a community (for a community-level request)."""
    return (
        VolunteerTeam.objects.filter(subtree_q(community, "grid__unit"), active=True)
        .select_related("leader", "grid")
        .order_by("grid__code", "name")
    )


def teams_for_request(request) -> QuerySet[VolunteerTeam]:
    """Teams a resident request can be dispatched to: the active teams under the unit handling
    it (its grid's for a grid-level request, the community's grids' for a community-level one,
    the street's for a street-level one). For resident_requests' dispatch service to check a
    chosen team against, as members_for_dispatch does for members."""
    from resident_requests.models import HandlingLevel

    if request.level == HandlingLevel.GRID:
        unit = request.grid.unit
    elif request.level == HandlingLevel.COMMUNITY:
        unit = request.grid.community
    else:
        unit = OrgUnit.objects.get(pk=request.grid.community.parent_id)
    return (
        VolunteerTeam.objects.filter(subtree_q(unit, "grid__unit"), active=True)
        .select_related("leader", "grid")
        .order_by("grid__code", "name")
    )


def current_claims(today: datetime.date | None = None) -> QuerySet[PostClaim]:
    today = today or timezone.localdate()
    return PostClaim.objects.filter(Q(end_date__isnull=True) | Q(end_date__gte=today)).filter(
        start_date__lte=today
    )


def claimed_posts_for_grid(grid: Grid, today: datetime.date | None = None) -> QuerySet[PostClaim]:
    """What the grid's page lists: the posts its members hold today."""
    return current_claims(today).filter(grid_id=grid.pk).select_related("person").order_by("post")


# --- Household contact (党员联户) -----------------------------------------------------------------


def households_due_visit(
    *, user=None, unit: OrgUnit | None = None, today: datetime.date | None = None
) -> QuerySet[HouseholdLink]:
    """Households in contact not visited for VISIT_DUE_DAYS days (or never): the community's
    to-do list, longest-waiting first. Scoped by the user's scope, or by a unit's subtree."""
    today = today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=VISIT_DUE_DAYS)
    qs = HouseholdLink.objects.filter(active=True).filter(
        Q(last_visit__isnull=True) | Q(last_visit__lte=cutoff)
    )
    if user is not None:
        qs = filter_visible(qs, user, HouseholdLink.SCOPE_PATH)
    if unit is not None:
        qs = qs.filter(subtree_q(unit, HouseholdLink.SCOPE_PATH))
    return qs.select_related("central_household", "building").order_by(
        F("last_visit").asc(nulls_first=True), "pk"
    )


# --- Reception days (温暖20) ----------------------------------------------------------------------


def coming_sessions(
    *, community: OrgUnit | None = None, today: datetime.date | None = None
) -> QuerySet[ReceptionSession]:
    """Scheduled sessions from today on, with their places taken, for the public page."""
    today = today or timezone.localdate()
    qs = ReceptionSession.objects.filter(status=SessionStatus.SCHEDULED, date__gte=today)
    if community is not None:
        qs = qs.filter(community_id=community.pk)
    return (
        qs.select_related("community", "community__parent", "station")
        .prefetch_related("deputies")
        .annotate(booked=Count("bookings"))
        .order_by("date", "start_time", "community__code")
    )


def communities_with_coming_sessions(today: datetime.date | None = None) -> QuerySet[OrgUnit]:
    today = today or timezone.localdate()
    return (
        OrgUnit.objects.filter(
            kind=UnitKind.COMMUNITY,
            reception_sessions__status=SessionStatus.SCHEDULED,
            reception_sessions__date__gte=today,
        )
        .distinct()
        .order_by("code")
    )


def bookings_for_reminder(day: datetime.date) -> QuerySet[ReceptionBooking]:
    """Bookings of the scheduled sessions on `day` (the reminder goes out the day before)."""
    return ReceptionBooking.objects.filter(
        session__date=day, session__status=SessionStatus.SCHEDULED
    ).select_related("session", "session__community")


# --- Vanguard recognition (先锋榜样) ----------------------------------------------------------------


def quarter_dates(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of a quarter."""
    start = datetime.date(year, 3 * (quarter - 1) + 1, 1)
    end_month = 3 * quarter
    end = (
        datetime.date(year + 1, 1, 1) if end_month == 12 else datetime.date(year, end_month + 1, 1)
    ) - datetime.timedelta(days=1)
    return start, end


def quarter_of(day: datetime.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


@dataclass
class RankRow:
    person_id: int
    name: str
    branch_id: int | None
    branch: str
    requests: int = 0
    hours: Decimal = Decimal(0)
    visits: int = 0
    points: int = 0
    awarded: bool = False


def vanguard_ranking(*, unit: OrgUnit, year: int, quarter: int) -> list[RankRow]:
    """Members of `unit`'s subtree (a street, usually) by points earned in the quarter
    (rules: party_work.points), highest first. Members with no points are left out. Four
    queries, plus one for the titles already awarded."""
    from resident_requests.models import Rating, ResidentRequest

    start, end = quarter_dates(year, quarter)
    tz = timezone.get_current_timezone()
    start_at = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    end_at = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )

    requests = dict(
        ResidentRequest.objects.filter(
            subtree_q(unit, "assignee__membership_unit"),
            taken_at__isnull=False,
            resolved_at__gte=start_at,
            resolved_at__lt=end_at,
            resolved_at__lte=F("resolve_deadline"),
            rating=Rating.SATISFIED,
        )
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    Participation = Activity.participants.through
    hours = dict(
        Participation.objects.filter(
            subtree_q(unit, "person__membership_unit"),
            activity__date__gte=start,
            activity__date__lte=end,
        )
        .order_by()
        .values("person_id")
        .annotate(h=Sum("activity__hours"))
        .values_list("person_id", "h")
    )
    visits = dict(
        HouseholdVisit.objects.filter(
            subtree_q(unit, "visitor__membership_unit"),
            visited_on__gte=start,
            visited_on__lte=end,
        )
        .order_by()
        .values("visitor_id")
        .annotate(n=Count("pk"))
        .values_list("visitor_id", "n")
    )
    ids = set(requests) | set(hours) | set(visits)
    awarded = set(
        VanguardAward.objects.filter(person_id__in=ids, year=year, quarter=quarter).values_list(
            "person_id", flat=True
        )
    )
    rows = []
    for person in Person.objects.filter(pk__in=ids).select_related("membership_unit"):
        row = RankRow(
            person_id=person.pk,
            name=person.name,
            branch_id=person.membership_unit_id,
            branch=person.membership_unit.name if person.membership_unit_id else "",
            requests=requests.get(person.pk, 0),
            hours=hours.get(person.pk) or Decimal(0),
            visits=visits.get(person.pk, 0),
            awarded=person.pk in awarded,
        )
        row.points = points.points_for(requests=row.requests, hours=row.hours, visits=row.visits)
        rows.append(row)
    rows.sort(key=lambda r: (-r.points, r.name, r.person_id))
    return [r for r in rows if r.points > 0]


def honour_roll(*, year: int | None = None, quarter: int | None = None) -> QuerySet[VanguardAward]:
    """The public honour page: name and branch only (the template shows nothing else)."""
    qs = VanguardAward.objects.all()
    if year:
        qs = qs.filter(year=year)
    if quarter:
        qs = qs.filter(quarter=quarter)
    return qs.select_related("person", "branch").order_by("-year", "-quarter", "branch__code", "pk")


def honour_quarters() -> list[tuple[int, int]]:
    return list(
        VanguardAward.objects.order_by("-year", "-quarter")
        .values_list("year", "quarter")
        .distinct()
    )


# --- Dashboard indicators --------------------------------------------------------------------------


@dataclass
class PartyWorkFigures:
    year: int
    teams: int
    team_members: int
    claimed_posts: int
    central_households_in_contact: int
    households_in_contact: int
    households_visited_90_days: int
    households_due_visit: int
    deputies: int
    sessions_held: int
    sessions_coming: int
    bookings: int
    projects: int
    projects_completed: int
    activities: int
    volunteer_hours: Decimal
    co_building_units: int
    vanguard_models: int


def team_figures(unit: OrgUnit) -> dict:
    return VolunteerTeam.objects.filter(subtree_q(unit, "grid__unit"), active=True).aggregate(
        teams=Count("pk", distinct=True), team_members=Count("members", distinct=True)
    )


def claimed_posts_count(unit: OrgUnit, today: datetime.date | None = None) -> int:
    return current_claims(today).filter(subtree_q(unit, "grid__unit")).count()


def household_figures(unit: OrgUnit, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=VISIT_DUE_DAYS)
    return HouseholdLink.objects.filter(
        subtree_q(unit, "central_household"), active=True
    ).aggregate(
        central_households_in_contact=Count("central_household", distinct=True),
        households_in_contact=Count("pk"),
        households_visited_90_days=Count("pk", filter=Q(last_visit__gt=cutoff)),
    )


def deputies_count(unit: OrgUnit) -> int:
    return Representative.objects.filter(subtree_q(unit, "community"), active=True).count()


def session_figures(unit: OrgUnit, year: int, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    sessions = ReceptionSession.objects.filter(subtree_q(unit, "community"))
    figures = sessions.aggregate(
        sessions_held=Count("pk", filter=Q(status=SessionStatus.HELD, date__year=year)),
        sessions_coming=Count("pk", filter=Q(status=SessionStatus.SCHEDULED, date__gte=today)),
    )
    figures["bookings"] = ReceptionBooking.objects.filter(
        subtree_q(unit, "session__community"), session__date__year=year
    ).count()
    return figures


def project_figures(unit: OrgUnit, year: int) -> dict:
    from .models import ProjectStatus

    return ServiceProject.objects.filter(subtree_q(unit, "community"), year=year).aggregate(
        projects=Count("pk"),
        projects_completed=Count("pk", filter=Q(status=ProjectStatus.COMPLETED)),
    )


def activity_figures(unit: OrgUnit, year: int) -> dict:
    """Activities in the year and volunteer hours served (hours × participants)."""
    activities = Activity.objects.filter(subtree_q(unit, "team__grid__unit"), date__year=year)
    Participation = Activity.participants.through
    hours = Participation.objects.filter(
        subtree_q(unit, "activity__team__grid__unit"), activity__date__year=year
    ).aggregate(h=Coalesce(Sum("activity__hours"), Decimal(0)))["h"]
    return {"activities": activities.count(), "volunteer_hours": hours}


def co_building_count(unit: OrgUnit) -> int:
    from .models import CoBuildingUnit

    if unit.kind in (UnitKind.DISTRICT, UnitKind.STREET):
        return CoBuildingUnit.objects.filter(subtree_q(unit, "street")).count()
    return CoBuildingUnit.objects.filter(subtree_q(unit, "communities")).distinct().count()


def vanguard_count(unit: OrgUnit, year: int) -> int:
    return VanguardAward.objects.filter(subtree_q(unit, "branch"), year=year).count()


def party_work_figures(
    unit: OrgUnit, *, year: int | None = None, today: datetime.date | None = None
) -> PartyWorkFigures:
    """Every indicator of party members' work under `unit` for the dashboards."""
    today = today or timezone.localdate()
    year = year or today.year
    households = household_figures(unit, today)
    # The 90-day list is exactly the households in contact not visited within 90 days.
    households["households_due_visit"] = (
        households["households_in_contact"] - households["households_visited_90_days"]
    )
    return PartyWorkFigures(
        year=year,
        **team_figures(unit),
        claimed_posts=claimed_posts_count(unit, today),
        **households,
        deputies=deputies_count(unit),
        **session_figures(unit, year, today),
        **project_figures(unit, year),
        **activity_figures(unit, year),
        co_building_units=co_building_count(unit),
        vanguard_models=vanguard_count(unit, year),
    )


@dataclass
class GridWork:
    """A grid's party work in a period (双挂钩: it counts in the grid's score beside request
    handling): posts claimed in the grid now, household visits logged and volunteer hours
    served (hours × participants) in the period."""

    claimed_posts: int = 0
    visits: int = 0
    volunteer_hours: Decimal = Decimal(0)


def party_work_by_grid(
    unit: OrgUnit, start: datetime.date, end: datetime.date, today: datetime.date | None = None
) -> dict[int, GridWork]:
    """GridWork per grid id under `unit`, for the days start..end: three grouped queries, whatever
    the number of grids. A visit counts for the grid of the visited household's building."""
    work: dict[int, GridWork] = {}

    def row(grid_id) -> GridWork:
        return work.setdefault(grid_id, GridWork())

    claims = (
        current_claims(today)
        .filter(subtree_q(unit, "grid__unit"))
        .values("grid_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for item in claims:
        row(item["grid_id"]).claimed_posts = item["n"]
    visits = (
        HouseholdVisit.objects.filter(
            subtree_q(unit, "link__building__grid__unit"), visited_on__range=(start, end)
        )
        .values("link__building__grid_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for item in visits:
        row(item["link__building__grid_id"]).visits = item["n"]
    Participation = Activity.participants.through
    hours = (
        Participation.objects.filter(
            subtree_q(unit, "activity__team__grid__unit"),
            activity__date__range=(start, end),
        )
        .values("activity__team__grid_id")
        .annotate(h=Coalesce(Sum("activity__hours"), Decimal(0)))
        .order_by()
    )
    for item in hours:
        row(item["activity__team__grid_id"]).volunteer_hours = item["h"]
    return work
