"""A small district for the request tests: one street, two communities, three grids with
buildings, party members, categories, a department, and one staff user per role."""

import io
import itertools
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from organization.models import (
    Department,
    DepartmentLevel,
    OrgUnit,
    Person,
    StaffRole,
    StaffScope,
    UnitKind,
)
from organization.roles import roles_assign, roles_sync
from resident_requests import services
from resident_requests.models import Category, HandlingLevel, ResidentRequest
from tests.grids.factories import building, grid_for
from tests.organization.factories import PersonFactory, UserFactory, chain, unit

_n = itertools.count(1)
PHONE = "13912345678"


@dataclass
class World:
    street: OrgUnit
    communities: list
    grids: list  # Grid rows: [c1 grid A, c1 grid B, c2 grid C]
    buildings: list  # one per grid, plus a second in grid A 100 m away
    category: Category
    other_category: Category
    department: Department
    other_department: Department
    members: dict = field(default_factory=dict)  # grid index → Person with a login
    users: dict = field(default_factory=dict)


def category(parent=None, **extra) -> Category:
    n = next(_n)
    parent = parent or Category.objects.create(code=f"top{n}", name=f"大类{n}")
    return Category.objects.create(
        code=f"cat{n}",
        name=extra.pop("name", f"小类{n}"),
        parent=parent,
        hours_to_accept=extra.pop("hours_to_accept", 24),
        hours_to_resolve=extra.pop("hours_to_resolve", 72),
        **extra,
    )


def member(grid_unit: OrgUnit, *, with_login: bool = True) -> Person:
    person = PersonFactory(membership_unit=grid_unit)
    if with_login:
        User = get_user_model()
        person.user = User.objects.create_user(
            f"member{person.pk}", password="pw-for-tests-123", last_name=person.name[:1]
        )
        person.save()
    return person


def world() -> World:
    district, street, communities, grid_units = chain(communities=2, grids=2)
    grid_units = grid_units[:3]
    grids = [grid_for(u) for u in grid_units]
    buildings = [building(g, north=i * 10) for i, g in enumerate(grids)]
    buildings.append(building(grids[0], north=0.9))  # ~100 m from buildings[0]
    department = Department.objects.create(
        name="区城市管理局", code=f"D{next(_n)}", level=DepartmentLevel.DISTRICT
    )
    other_department = Department.objects.create(
        name="区民政局", code=f"D{next(_n)}", level=DepartmentLevel.DISTRICT
    )
    cat = category(default_department=department)
    w = World(
        street=street,
        communities=communities,
        grids=grids,
        buildings=buildings,
        category=cat,
        other_category=category(parent=cat.parent),
        department=department,
        other_department=other_department,
    )
    for index, grid in enumerate(grids):
        w.members[index] = member(grid.unit)
    roles_sync()  # once: staff_user() below only assigns the groups

    def staff_user(role, *, unit=None, department=None, **extra):
        user = UserFactory(**extra)
        user.save()
        StaffScope.objects.create(user=user, role=role, unit=unit, department=department)
        roles_assign(user)
        return user

    w.users = {
        "org": staff_user(StaffRole.ORG_DEPARTMENT, unit=district),
        "street": staff_user(StaffRole.STREET_STAFF, unit=street),
        "community": staff_user(StaffRole.COMMUNITY_STAFF, unit=communities[0]),
        "community2": staff_user(StaffRole.COMMUNITY_STAFF, unit=communities[1]),
        "leader": staff_user(StaffRole.GRID_LEADER, unit=grids[0].unit, last_name="王"),
        "leader_b": staff_user(StaffRole.GRID_LEADER, unit=grids[1].unit),
        "leader_c": staff_user(StaffRole.GRID_LEADER, unit=grids[2].unit),
        "dept": staff_user(StaffRole.DEPARTMENT_STAFF, department=department),
        "dept2": staff_user(StaffRole.DEPARTMENT_STAFF, department=other_department),
    }
    return w


def submit(w: World, *, building_index: int = 0, **extra) -> ResidentRequest:
    return services.request_submit(
        submitter_name=extra.pop("submitter_name", "李阿姨"),
        submitter_phone=extra.pop("submitter_phone", PHONE),
        building=w.buildings[building_index],
        category=extra.pop("category", w.category),
        description=extra.pop("description", "楼下路灯坏了一个星期。"),
        **extra,
    )


def without_building(w, **extra) -> ResidentRequest:
    """A request whose building is not in the list: the typed address and the community, or
    what `extra` says instead (a map point)."""
    return services.request_submit(
        submitter_name="李阿姨",
        submitter_phone="13912345678",
        building=None,
        category=w.category,
        description="路口的井盖松了，走路会绊倒。",
        address=extra.pop("address", "幸福里12号门口"),
        community=extra.pop("community", w.communities[0]),
        **extra,
    )


def at_level(w: World, level: str, *, building_index: int = 0) -> ResidentRequest:
    """A request accepted by its grid leader and escalated up to `level` by the staff there."""
    request = submit(w, building_index=building_index)
    grid_index = w.grids.index(w.buildings[building_index].grid)
    leader = w.users[["leader", "leader_b", "leader_c"][grid_index]]
    community = w.users["community" if grid_index < 2 else "community2"]
    services.request_accept(request=request, actor=leader)
    if level in (HandlingLevel.COMMUNITY, HandlingLevel.STREET, HandlingLevel.DEPARTMENT):
        services.request_escalate(request=request, actor=leader, note="需上级协调")
    if level in (HandlingLevel.STREET, HandlingLevel.DEPARTMENT):
        services.request_escalate(request=request, actor=community, note="需上级协调")
    if level == HandlingLevel.DEPARTMENT:
        services.request_escalate(
            request=request,
            actor=w.users["street"],
            departments=[w.department, w.other_department],
            note="需上级协调",
        )
    request.refresh_from_db()
    return request


def resolved(w: World) -> ResidentRequest:
    """A request accepted and resolved by its grid leader, waiting for the resident's rating."""
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    services.request_resolve(request=request, actor=w.users["leader"], note="修好了")
    request.refresh_from_db()
    return request


def taken(w: World) -> ResidentRequest:
    """A request accepted by its grid leader, dispatched to the grid's first party member
    (w.members[0]) and taken by them."""
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    services.request_dispatch(request=request, actor=w.users["leader"], assignee=w.members[0])
    services.request_take(request=request, actor=w.members[0].user)
    request.refresh_from_db()
    return request


def image_bytes(fmt: str = "JPEG", size=(64, 48), exif: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    img = Image.new("RGB", size, (200, 30, 30))
    kwargs = {"exif": exif} if exif else {}
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def upload(name: str = "photo.jpg", data: bytes | None = None, content_type="image/jpeg"):
    return SimpleUploadedFile(name, data if data is not None else image_bytes(), content_type)


def noise_jpeg(width: int = 4000, height: int = 3000, quality: int = 95, seed: int = 0) -> bytes:
    """A phone-sized JPEG that does not compress: random pixels (4000 × 3000 at 95: about 13 MB)."""
    import random

    pixels = random.Random(seed).randbytes(width * height * 3)
    buf = io.BytesIO()
    Image.frombytes("RGB", (width, height), pixels).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid, small PNG that decodes to width × height pixels (1-bit grey, all black)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row * 1000) for _ in range(height // 1000)]
    parts.append(compressor.compress(row * (height % 1000)))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", b"".join(parts))
        + chunk(b"IEND", b"")
    )


__all__ = ["unit", "UnitKind"]
