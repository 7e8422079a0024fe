"""Factories for the organization tree. Units are created through the service, as in the portal."""

import itertools

import factory
from django.contrib.auth import get_user_model

from organization import services
from organization.models import OrgUnit, Person, PoliticalStatus, StaffScope, UnitKind

_codes = itertools.count(1)


def unit(kind: str, parent: OrgUnit | None = None, name: str | None = None, **extra) -> OrgUnit:
    n = next(_codes)
    return services.orgunit_create(
        kind=kind, name=name or f"{kind}-{n}", code=f"T{n:06d}", parent=parent, **extra
    )


def chain(*, communities: int = 1, grids: int = 1, street: OrgUnit | None = None):
    """district → street → communities → grids; returns (district, street, [communities], [grids])."""
    district = street.parent if street else unit(UnitKind.DISTRICT)
    street = street or unit(UnitKind.STREET, district)
    comms, grid_units = [], []
    for _ in range(communities):
        community = unit(UnitKind.COMMUNITY, street)
        comms.append(community)
        for _ in range(grids):
            grid_units.append(unit(UnitKind.GRID, community))
    return district, street, comms, grid_units


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"张{n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    political_status = PoliticalStatus.FULL_MEMBER


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-123")


def staff_user(role: str, *, unit: OrgUnit | None = None, department=None, **extra):
    """A staff user with one scope, in their role's permission group."""
    from organization.roles import roles_assign, roles_sync

    roles_sync()
    user = UserFactory(**extra)
    user.save()
    StaffScope.objects.create(user=user, role=role, unit=unit, department=department)
    roles_assign(user)
    return user
