"""Requests for the ops tests, written straight into their final state (no workflow needed)."""

import datetime
import itertools

from django.utils import timezone

from grids.models import Building, Grid
from resident_requests.models import Category, RequestSupporter, ResidentRequest, Status
from tests.organization.factories import chain

_n = itertools.count(1)


class Place:
    def __init__(self):
        self.district, self.street, (self.community,), (grid_unit,) = chain()
        n = next(_n)
        self.grid = Grid.objects.create(
            code=f"OPSG{n}", name=f"测试网格{n}", community=self.community, unit=grid_unit
        )
        self.building = Building.objects.create(
            name="1幢", address="京口路1号1幢", grid=self.grid, lat=32.2, lng=119.45
        )
        parent = Category.objects.create(name="环境卫生", code=f"ops-env-{n}")
        self.category = Category.objects.create(
            name="垃圾清运", code=f"ops-env-{n}-garbage", parent=parent
        )


def resident_request(
    place: Place,
    *,
    phone: str = "13812345678",
    name: str = "张三丰",
    status: str = Status.CLOSED,
    closed_days_ago: float | None = None,
    **extra,
) -> ResidentRequest:
    now = timezone.now()
    closed_at = None
    if closed_days_ago is not None:
        closed_at = now - datetime.timedelta(days=closed_days_ago)
    if extra.get("rating"):
        extra.setdefault("rated_at", closed_at or now)
    return ResidentRequest.objects.create(
        submitter_name=name,
        submitter_phone=phone,
        building=place.building,
        grid=place.grid,
        address=extra.pop("address", "京口路1号1幢301室"),
        lat=extra.pop("lat", 32.123456),
        lng=extra.pop("lng", 119.456789),
        category=place.category,
        description=extra.pop("description", "楼下垃圾没人收，联系我13812345678"),
        status=status,
        closed_at=closed_at,
        **extra,
    )


def supporter(req: ResidentRequest, phone: str) -> RequestSupporter:
    ResidentRequest.objects.filter(pk=req.pk).update(supporters_count=req.supporters_count + 1)
    return RequestSupporter.objects.create(request=req, phone=phone)
