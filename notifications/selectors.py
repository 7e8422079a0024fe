"""Reads for the outbox: who holds which post (the people a message goes to), and short links."""

import functools
import operator

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from organization.models import OrgUnit, Role, StaffRole, StaffScope, UnitKind

from .models import Notification, NotificationStatus, ShortLink


def short_link_target(token: str) -> str | None:
    if not token or len(token) > 32:
        return None
    return ShortLink.objects.filter(token=token).values_list("target", flat=True).first()


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


def secretary_positions():
    """(community unit, secretary person) for every community with a current secretary."""
    from organization.models import Position

    return (
        Position.objects.filter(
            role=Role.SECRETARY, end_date__isnull=True, unit__kind=UnitKind.COMMUNITY
        )
        .select_related("unit", "person__user")
        .order_by("unit__code")
    )


def open_and_overdue_by_community() -> dict[int, tuple[int, int]]:
    """{community unit id: (open requests, of which overdue)}: one grouped query."""
    from resident_requests.models import OPEN_STATUSES, ResidentRequest

    rows = (
        ResidentRequest.objects.filter(status__in=OPEN_STATUSES)
        .values("grid__community_id")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(overdue=True)))
    )
    return {row["grid__community_id"]: (row["open"], row["overdue"]) for row in rows}


def outbox_counts() -> dict[str, int]:
    """Rows per status, for a quick look at the outbox's health."""
    counts = dict(
        Notification.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
    )
    return {status: counts.get(status, 0) for status in NotificationStatus.values}
