"""A small district (two streets, a community and a grid in each) and sheet builders."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.utils import translation

from grids import services as grid_services
from organization import services as org_services
from organization.models import Role, StaffRole, UnitKind
from tests.organization.factories import PersonFactory, staff_user


def csv_bytes(headers, rows, encoding="utf-8-sig") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(headers, rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def valid_id(first17: str) -> str:
    """An ID number with the right GB 11643 check character."""
    from imports.sheets import ID_CHECK, ID_WEIGHTS

    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return first17 + ID_CHECK[total % 11]


@pytest.fixture(autouse=True)
def _english():
    # Messages are compared with their English msgids (the Chinese catalogue is merged later).
    with translation.override("en"):
        yield


@pytest.fixture
def district(db):
    """中共京口区委 → 正东路 (S1) and 谏壁 (S6) → one community and one grid in each."""
    jk = org_services.orgunit_create(
        kind=UnitKind.DISTRICT, name="中共京口区委", code="JK", parent=None
    )
    s1 = org_services.orgunit_create(
        kind=UnitKind.STREET, name="正东路街道党工委", code="JK-S1", parent=jk
    )
    s6 = org_services.orgunit_create(
        kind=UnitKind.STREET, name="谏壁街道党工委", code="JK-S6", parent=jk
    )
    c1 = org_services.orgunit_create(
        kind=UnitKind.COMMUNITY, name="京口路社区党委", code="JK-S1-C01", parent=s1
    )
    c6 = org_services.orgunit_create(
        kind=UnitKind.COMMUNITY, name="东街社区党委", code="JK-S6-C01", parent=s6
    )
    g1 = grid_services.grid_create(community=c1, code="JK-S1-C01-G01", name="京口路第1网格")
    g6 = grid_services.grid_create(community=c6, code="JK-S6-C01-G01", name="东街第1网格")
    leader = PersonFactory(name="李网格", phone="13905110001")
    org_services.position_assign(
        person=leader,
        unit=g1.unit,
        role=Role.GRID_LEADER,
        start_date=datetime.date(2022, 4, 29),
    )
    return {"jk": jk, "s1": s1, "s6": s6, "c1": c1, "c6": c6, "g1": g1, "g6": g6, "leader": leader}


@pytest.fixture
def street_user(district):
    """Street staff of 正东路 (S1) only."""
    return staff_user(StaffRole.STREET_STAFF, unit=district["s1"])


@pytest.fixture
def superuser(db):
    from tests.organization.factories import UserFactory

    user = UserFactory(is_superuser=True)
    user.save()
    return user
