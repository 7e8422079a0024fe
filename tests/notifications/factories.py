"""A small world for notification tests: a grid with its leader, staff, a building and a
category, and requests submitted through the workflow service as the portal does."""

import itertools
from dataclasses import dataclass

from grids.models import Building, Grid
from notifications.models import Channel, Notification
from organization.models import OrgUnit, Person, PoliticalStatus, StaffRole
from resident_requests.models import Category, HandlingLevel
from resident_requests.services import request_submit
from tests.organization.factories import PersonFactory, chain, staff_user

_n = itertools.count(1)


@dataclass
class World:
    district: OrgUnit
    street: OrgUnit
    community: OrgUnit
    grid_unit: OrgUnit
    grid: Grid
    building: Building
    category: Category
    leader: Person
    member: Person
    grid_leader_user: object
    community_user: object
    street_user: object
    orgdept_user: object


def category(**extra) -> Category:
    n = next(_n)
    parent = Category.objects.create(name=f"环境卫生{n}", code=f"env-{n}")
    defaults = {"name": "垃圾清运", "code": f"env-{n}-garbage", "parent": parent}
    return Category.objects.create(**{**defaults, **extra})


def world() -> World:
    district, street, (community,), (grid_unit,) = chain()
    leader = PersonFactory(name="王网格", phone="13900000001", membership_unit=grid_unit)
    member = PersonFactory(name="李党员", phone="13900000002", membership_unit=grid_unit)
    grid = Grid.objects.create(
        code=f"G{next(_n)}",
        name="京口路第1网格",
        community=community,
        unit=grid_unit,
        leader=leader,
    )
    building = Building.objects.create(
        name="1幢", address="京口路1号1幢", grid=grid, lat=32.2, lng=119.45
    )
    grid_leader_user = staff_user(StaffRole.GRID_LEADER, unit=grid_unit, email="gl@example.org")
    Person.objects.filter(pk=leader.pk).update(user=grid_leader_user)
    leader.refresh_from_db()
    community_user = staff_user(
        StaffRole.COMMUNITY_STAFF, unit=community, email="community@example.org"
    )
    PersonFactory(
        name="赵社区",
        phone="13900000003",
        political_status=PoliticalStatus.MASSES,
        user=community_user,
    )
    street_user = staff_user(StaffRole.STREET_STAFF, unit=street, email="street@example.org")
    PersonFactory(
        name="钱街道",
        phone="13900000004",
        political_status=PoliticalStatus.MASSES,
        user=street_user,
    )
    orgdept_user = staff_user(StaffRole.ORG_DEPARTMENT, unit=district, email="org@example.org")
    return World(
        district=district,
        street=street,
        community=community,
        grid_unit=grid_unit,
        grid=grid,
        building=building,
        category=category(default_level=HandlingLevel.GRID),
        leader=leader,
        member=member,
        grid_leader_user=grid_leader_user,
        community_user=community_user,
        street_user=street_user,
        orgdept_user=orgdept_user,
    )


RESIDENT_PHONE = "13812345678"


def submit(w: World, **extra):
    return request_submit(
        submitter_name="张三",
        submitter_phone=RESIDENT_PHONE,
        building=w.building,
        category=w.category,
        description="楼下垃圾三天没人清运",
        **extra,
    )


def outbox_row(**fields) -> Notification:
    """One outbox row written straight to the table: a pending SMS to a resident's phone."""
    defaults = {
        "channel": Channel.SMS,
        "template_key": "request.submitted",
        "context": {},
        "phone": "13812345678",
        "idempotency_key": f"row:{next(_n)}",
    }
    values = {**defaults, **fields}
    values["context"] = dict(values["context"])  # each row its own, as the services write it
    return Notification.objects.create(**values)
