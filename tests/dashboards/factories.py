"""Requests and grids for the dashboard tests, with the timestamps the figures depend on."""

import datetime
import itertools

from django.utils import timezone

from grids.models import Building, Grid
from organization.models import OrgUnit
from resident_requests.models import (
    SATISFIED_RATINGS,
    Category,
    RequestDepartment,
    ResidentRequest,
)

_n = itertools.count(1)
TZ = datetime.timezone(datetime.timedelta(hours=8))  # Asia/Shanghai, no DST


def at(day: str, hour: int = 10) -> datetime.datetime:
    """A moment in Shanghai time: at("2026-01-05", 10)."""
    return datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=TZ)


def grid_for(unit: OrgUnit, **extra) -> Grid:
    """The Grid row of a grid unit, with one building."""
    grid = Grid.objects.create(
        code=unit.code,
        name=f"{unit.name} grid",
        community=unit.parent,
        unit=unit,
        center_lat=32.2,
        center_lng=119.45,
        **extra,
    )
    Building.objects.create(
        name="1", address=f"{unit.code} 1号楼", grid=grid, lat=32.2, lng=119.45, households=10
    )
    return grid


def category(name: str, parent: Category | None = None) -> Category:
    return Category.objects.create(name=name, code=f"cat-{next(_n)}", parent=parent)


def request(
    grid: Grid,
    cat: Category,
    created: datetime.datetime,
    *,
    accepted_after: float | None = None,
    resolved_after: float | None = None,
    deadline_after: float | None = 72,
    **fields,
) -> ResidentRequest:
    """A request created at `created`; the other times in hours after it."""

    def later(hours):
        return None if hours is None else created + datetime.timedelta(hours=hours)

    obj = ResidentRequest.objects.create(
        code=f"T-{next(_n):08d}",
        submitter_name="张三",
        submitter_phone="13800000000",
        building=fields.pop("building") if "building" in fields else grid.buildings.first(),
        grid=grid,
        category=cat,
        description="路灯坏了",
        accepted_at=later(accepted_after),
        resolved_at=later(resolved_after),
        resolve_deadline=later(deadline_after),
        rated_at=timezone.now() if fields.get("rating") else None,
        # One rated resolution (RequestRating's counters), unless the test says otherwise.
        rated_count=fields.pop("rated_count", int(bool(fields.get("rating")))),
        satisfied_count=fields.pop(
            "satisfied_count", int(fields.get("rating", "") in SATISFIED_RATINGS)
        ),
        **fields,
    )
    # created_at is set on insert (auto_now_add): put it where the test wants it.
    ResidentRequest.objects.filter(pk=obj.pk).update(created_at=created)
    obj.created_at = created
    return obj


def department_link(req: ResidentRequest, department, *, called, acknowledged=False, done=False):
    """A department called in at `called` (吹哨), reported in and done an hour later each."""
    link = RequestDepartment.objects.create(
        request=req,
        department=department,
        acknowledge_deadline=called + datetime.timedelta(hours=24),
        done_deadline=called + datetime.timedelta(hours=72),
        acknowledged_at=called + datetime.timedelta(hours=1) if acknowledged else None,
        reported_done_at=called + datetime.timedelta(hours=2) if done else None,
    )
    RequestDepartment.objects.filter(pk=link.pk).update(created_at=called)
    return link
