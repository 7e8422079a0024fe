"""Who is told about a request: the staff who hold a post at a unit, the request's handlers and
supervisors, its resident and "me too" supporters, as outbox recipients (reads only).

The message rules (messages.py) and the deadline rounds (deadlines.py) call these.
"""

import copy
import functools
import operator
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet

from core.cache import LocalMemo
from core.validators import MAINLAND_MOBILE_RE
from grids.models import Grid
from notifications.services import Recipient
from organization.models import OrgUnit, Position, Role, StaffRole, StaffScope, UnitKind

from .models import HandlingLevel, ResidentRequest
from .selectors import unit_of_level

# --- Staff by post --------------------------------------------------------------------------------


def staff_users(*, role: str, unit: OrgUnit | None = None, department=None) -> QuerySet:
    """The active users with a scope of `role` on exactly `unit` (or for `department`)."""
    filters = Q(staff_scopes__role=role)
    if unit is not None:
        filters &= Q(staff_scopes__unit=unit)
    if department is not None:
        filters &= Q(staff_scopes__department=department)
    return (
        get_user_model()
        .objects.filter(filters, is_active=True)
        .select_related("person")
        .distinct()
        .order_by("pk")
    )


def staff_groups(scopes, *, also=()) -> tuple[list[list], dict]:
    """One query for several staff_users(role=…, unit=…) at once: for each
    (role, unit id) of `scopes`, its active users in id order; and {id: user} of every user
    read, the users of the ids in `also` included (active or not)."""
    marks = {
        f"in_scope_{i}": Exists(
            StaffScope.objects.filter(user=OuterRef("pk"), role=role, unit_id=unit_id)
        )
        for i, (role, unit_id) in enumerate(scopes)
    }
    wanted = Q(pk__in=[pk for pk in also if pk])
    if marks:
        wanted |= Q(is_active=True) & functools.reduce(
            operator.or_, (Q(**{name: True}) for name in marks)
        )
    users = list(
        get_user_model()
        .objects.annotate(**marks)
        .filter(wanted)
        .select_related("person")
        # What a Recipient needs: the addresses, not the password hash or the names.
        .only("id", "email", "is_active", "person__id", "person__phone", "person__user")
        .order_by("pk")
    )
    groups = [[user for user in users if user.is_active and getattr(user, name)] for name in marks]
    return groups, {user.pk: user for user in users}


# --- A grid's staff, kept in each process -----------------------------------------------------


@dataclass(frozen=True)
class GridStaff:
    """A grid as a new request reads it (with its leader, unit and community loaded) and the
    staff its new requests are told about: the grid's leader (a person) and that person's login,
    the grid leaders' logins, the community's staff and the street's."""

    grid: Grid
    leader_user: object
    grid_leaders: list
    community_staff: list
    street_staff: list


def _grid_staff_build(grid_id: int) -> GridStaff:
    grid = Grid.objects.select_related("leader", "unit", "community").get(pk=grid_id)
    scopes = [(StaffRole.GRID_LEADER, grid.unit_id), (StaffRole.COMMUNITY_STAFF, grid.community_id)]
    if grid.community.parent_id is not None:
        scopes.append((StaffRole.STREET_STAFF, grid.community.parent_id))
    leader_user_id = grid.leader.user_id if grid.leader_id else None
    groups, users = staff_groups(scopes, also=[leader_user_id])
    return GridStaff(
        grid=grid,
        leader_user=users.get(leader_user_id),
        grid_leaders=groups[0],
        community_staff=groups[1],
        street_staff=groups[2] if len(groups) > 2 else [],
    )


# {grid id: GridStaff}, filled as grids are asked for, emptied by grid_staff_changed().
GRID_STAFF = LocalMemo("rr:grid-staff", dict, max_age=300)


def grid_staff(grid_id: int, *, grids: dict | None = None) -> GridStaff:
    """The grid's GridStaff, from this process's memory while nothing it reads has changed
    (two queries the first time). `grids`: GRID_STAFF's value when the caller read it already
    (with other memos, in one round trip). Its `grid` is a copy (so that a caller setting an
    attribute on it changes nobody else's) that knows its GridStaff: staff_of_grid() on it
    answers from it, without reading the memo again."""
    if grids is None:
        grids = GRID_STAFF.value()
    found = grids.get(grid_id)
    if found is None:
        found = grids[grid_id] = _grid_staff_build(grid_id)
    grid = copy.copy(found.grid)
    staff = GridStaff(
        grid=grid,
        leader_user=found.leader_user,
        grid_leaders=found.grid_leaders,
        community_staff=found.community_staff,
        street_staff=found.street_staff,
    )
    grid.loaded_staff = staff
    return staff


def staff_of_grid(grid: Grid) -> GridStaff:
    """The GridStaff of `grid`: the one it was loaded with by grid_staff() (the public form
    loads the building's grid so, moments before the request is stored), else from the memo."""
    return getattr(grid, "loaded_staff", None) or grid_staff(grid.pk)


def grid_staff_changed(sender=None, update_fields=None, **kwargs) -> None:
    """Signal receiver (apps.py): a grid, unit, person, login or staff scope changed, so every
    process reads its grids' staff again. A login's own last_login (each sign-in) changes
    nothing here."""
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    GRID_STAFF.invalidate()


def supervisors_of(unit: OrgUnit) -> QuerySet:
    """The staff one level above `unit`: community staff over a grid, street staff over a
    community, the organization department over a street."""
    role = {
        UnitKind.GRID: StaffRole.COMMUNITY_STAFF,
        UnitKind.COMMUNITY: StaffRole.STREET_STAFF,
        UnitKind.STREET: StaffRole.ORG_DEPARTMENT,
    }.get(unit.kind)
    if role is None or unit.parent_id is None:
        return get_user_model().objects.none()
    return staff_users(role=role, unit=OrgUnit(pk=unit.parent_id))


def handlers_of(unit: OrgUnit) -> QuerySet:
    """The staff who handle what is at `unit`'s level: grid leaders, community or street staff."""
    role = {
        UnitKind.GRID: StaffRole.GRID_LEADER,
        UnitKind.COMMUNITY: StaffRole.COMMUNITY_STAFF,
        UnitKind.STREET: StaffRole.STREET_STAFF,
        UnitKind.DISTRICT: StaffRole.ORG_DEPARTMENT,
    }[unit.kind]
    return staff_users(role=role, unit=unit)


def secretary_positions() -> QuerySet[Position]:
    """(community unit, secretary person) for every community with a current secretary."""
    return (
        Position.objects.filter(
            role=Role.SECRETARY, end_date__isnull=True, unit__kind=UnitKind.COMMUNITY
        )
        .select_related("unit", "person__user")
        .order_by("unit__code")
    )


# --- A request's recipients -----------------------------------------------------------------------


def staff(users, audience: str = "staff") -> list[Recipient]:
    return [Recipient(audience=audience, user=user) for user in users]


def grid_leaders(request: ResidentRequest) -> list[Recipient]:
    """The grid's leader (网格长, a person, with or without a login) and grid-leader logins."""
    recipients = []
    if request.grid.leader_id:
        recipients.append(Recipient(audience="staff", person=request.grid.leader))
    recipients += staff(staff_users(role=StaffRole.GRID_LEADER, unit=request.grid.unit))
    return recipients


def department_contacts(department) -> list[Recipient]:
    """A department's contact (phone if a mobile, e-mail) and its staff's logins."""
    recipients = staff(
        staff_users(role=StaffRole.DEPARTMENT_STAFF, department=department),
        audience="department",
    )
    phone = department.contact_phone.strip()
    if MAINLAND_MOBILE_RE.match(phone) or department.contact_email:
        recipients.append(
            Recipient(
                audience="department",
                phone=phone if MAINLAND_MOBILE_RE.match(phone) else "",
                email=department.contact_email,
            )
        )
    return recipients


def handlers(request: ResidentRequest) -> list[Recipient]:
    """Whoever must act on the request now: its party member, else the staff of its level
    (the departments still working on it, at the department level)."""
    if request.assignee_id:
        return [Recipient(audience="staff", person=request.assignee)]
    if request.level == HandlingLevel.GRID:
        return grid_leaders(request)
    if request.level == HandlingLevel.DEPARTMENT:
        recipients = []
        for link in request.department_links.filter(reported_done_at__isnull=True).select_related(
            "department"
        ):
            recipients += department_contacts(link.department)
        return recipients
    return staff(handlers_of(unit_of_level(request)))


def supervisors(request: ResidentRequest) -> list[Recipient]:
    """Who supervises an overdue request (督办): the staff one level up, or the street that
    called the departments in."""
    if request.level == HandlingLevel.DEPARTMENT:
        return staff(handlers_of(unit_of_level(request)))
    return staff(supervisors_of(unit_of_level(request)))


def progress_recipients(request: ResidentRequest) -> list[Recipient]:
    """Who hears how a request is going: its resident (unless they turned progress messages
    off on the tracking page) and the residents who said "me too"."""
    phones = [request.submitter_phone] if request.progress_sms else []
    phones += request.supporters.values_list("phone", flat=True)
    return [Recipient(audience="resident", phone=phone) for phone in phones if phone]


def resident(request: ResidentRequest) -> Recipient:
    return Recipient(audience="resident", phone=request.submitter_phone)
