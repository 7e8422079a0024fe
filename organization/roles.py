"""Staff roles as Django groups: which admin pages each role may open.

What a role may see inside those pages is decided by its StaffScope (organization.selectors);
this only grants the model permissions. Apps add their models here as they arrive.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from .models import StaffRole

VIEW = ["view"]
EDIT = ["view", "add", "change"]

# role → {"app_label.model": actions}
ROLE_PERMISSIONS: dict[str, dict[str, list[str]]] = {
    StaffRole.ORG_DEPARTMENT: {
        "organization.orgunit": EDIT,
        "organization.person": EDIT,
        "organization.position": EDIT + ["delete"],
        "organization.department": EDIT,
        "grids.grid": EDIT,
        "grids.building": EDIT,
        "grids.servicestation": EDIT,
        "grids.openinghours": EDIT + ["delete"],
        "grids.stationservice": EDIT,
        "resident_requests.residentrequest": EDIT,
        "resident_requests.category": EDIT,
        "resident_requests.replytemplate": EDIT + ["delete"],
        "resident_requests.phonedisclosure": VIEW,
        # The holiday calendar that working-hour deadlines count (core.workdays)
        "core.calendarday": EDIT + ["delete"],
    },
    StaffRole.STREET_STAFF: {
        "organization.orgunit": VIEW,
        "organization.person": EDIT,
        "organization.position": EDIT,
        "organization.department": VIEW,
        "grids.grid": EDIT,
        "grids.building": EDIT,
        "grids.servicestation": EDIT,
        "grids.openinghours": EDIT + ["delete"],
        "resident_requests.residentrequest": EDIT,
        "resident_requests.category": VIEW,
        "resident_requests.replytemplate": EDIT,
        "resident_requests.phonedisclosure": VIEW,
    },
    StaffRole.COMMUNITY_STAFF: {
        "organization.orgunit": VIEW,
        "organization.person": EDIT,
        "organization.position": EDIT,
        "grids.grid": EDIT,
        "grids.building": EDIT,
        "grids.servicestation": EDIT,
        "grids.openinghours": EDIT + ["delete"],
        "resident_requests.residentrequest": EDIT,
        "resident_requests.category": VIEW,
        "resident_requests.replytemplate": EDIT,
    },
    StaffRole.GRID_LEADER: {
        "organization.orgunit": VIEW,
        "organization.person": VIEW,
        "grids.grid": ["view", "change"],
        "grids.building": EDIT,
        "grids.servicestation": VIEW,
        "grids.openinghours": VIEW,
        "resident_requests.residentrequest": EDIT,
        "resident_requests.replytemplate": VIEW,
    },
    StaffRole.DEPARTMENT_STAFF: {
        # Requests escalated to their department: acknowledge (报到) and report done.
        "resident_requests.residentrequest": ["view", "change"],
    },
}


def extend_role_permissions(extra: dict[str, dict[str, list[str]]]) -> None:
    """For apps that arrive later: add their models' permissions to the roles."""
    for role, perms in extra.items():
        ROLE_PERMISSIONS.setdefault(role, {}).update(perms)


def _permissions_for(perms: dict[str, list[str]]):
    q = Q(pk__in=[])
    for model_label, actions in perms.items():
        app_label, model = model_label.split(".")
        q |= Q(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    return Permission.objects.filter(q)


def roles_sync() -> None:
    """Create or update one group per role with exactly the permissions listed above."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=f"role:{role}")
        group.permissions.set(_permissions_for(perms))


def roles_assign(user) -> None:
    """Put a staff user in the groups of the roles their scopes give them."""
    roles = set(user.staff_scopes.values_list("role", flat=True))
    groups = Group.objects.filter(name__in=[f"role:{role}" for role in roles])
    user.groups.add(*groups)
    if roles and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
