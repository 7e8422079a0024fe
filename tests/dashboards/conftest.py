"""A small district whose every figure is counted by hand in the tests.

district ── street S1 ── community C1 ── grid G1 (branch), grid G2 (party group)
         │            └─ community C2 ── grid G3 (branch)
         └─ street S2 ── community C3 ── grid G4 (branch)

Requests (January 2026 unless said otherwise; hours after creation):
  r1 G1 web    garbage  accepted 2  resolved 20  deadline 72  closed    satisfied
  r2 G1 phone  garbage  accepted 4  resolved 100 deadline 72  resolved  dissatisfied  community
  r3 G1 web    lights   open (submitted), deadline 72 long past
  r4 G1 web    garbage  rejected
  r5 G1 web    garbage  December 2025: outside the range
  r6 G2 patrol lights   accepted 1  resolved 10  deadline 72  closed    basically sat. street, D1 called
                        on 11 Jan (reported in, done); D1 also called on r5 on 2 Jan (not yet in)
  r7 G4 web    garbage  accepted 5  resolved 30  deadline 72  closed    satisfied
"""

import datetime
from types import SimpleNamespace

import pytest

from dashboards.selectors import RequestFilter
from organization.models import (
    Department,
    DepartmentLevel,
    OrgForm,
    PoliticalStatus,
    Position,
    Role,
    UnitKind,
)
from resident_requests.models import Channel, HandlingLevel, Rating, Status
from tests.organization.factories import PersonFactory, unit

from .factories import at, category, department_link, grid_for, request

JANUARY = RequestFilter(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 1, 31))


@pytest.fixture
def world(db):
    from grids.models import ServiceStation

    w = SimpleNamespace()
    w.district = unit(UnitKind.DISTRICT, name="测试区委")
    w.s1 = unit(UnitKind.STREET, w.district, name="甲街道党工委")
    w.s2 = unit(UnitKind.STREET, w.district, name="乙街道党工委")
    w.c1 = unit(UnitKind.COMMUNITY, w.s1, name="一社区党委")
    w.c2 = unit(UnitKind.COMMUNITY, w.s1, name="二社区党委")
    w.c3 = unit(UnitKind.COMMUNITY, w.s2, name="三社区党委")
    w.u1 = unit(UnitKind.GRID, w.c1, name="一社区第1网格党支部")
    w.u2 = unit(UnitKind.GRID, w.c1, name="一社区第2网格党小组", org_form=OrgForm.GROUP)
    w.u3 = unit(UnitKind.GRID, w.c2, name="二社区第1网格党支部")
    w.u4 = unit(UnitKind.GRID, w.c3, name="三社区第1网格党支部")
    w.g1, w.g2, w.g3, w.g4 = (grid_for(u, households=100) for u in (w.u1, w.u2, w.u3, w.u4))
    w.building = unit(UnitKind.BUILDING, w.u1)
    w.household = unit(UnitKind.HOUSEHOLD, w.building)

    # People: members by membership unit, posts on the grids.
    today = datetime.date(2026, 1, 1)
    member = PoliticalStatus.FULL_MEMBER

    def post(person, unit_, role, **extra):
        Position.objects.create(person=person, unit=unit_, role=role, start_date=today, **extra)

    post(PersonFactory(membership_unit=w.u1, retired=True), w.u1, Role.SECRETARY)
    post(PersonFactory(membership_unit=w.u2, retired=True), w.u2, Role.GROUP_LEADER)
    post(PersonFactory(membership_unit=w.u3, retired=False), w.u3, Role.SECRETARY)
    # An ended post does not count.
    post(
        PersonFactory(membership_unit=w.u4, retired=True),
        w.u4,
        Role.SECRETARY,
        end_date=today,
    )
    post(PersonFactory(membership_unit=w.u1), w.u1, Role.GRID_LEADER)  # member, own grid
    post(PersonFactory(membership_unit=w.c1), w.u2, Role.GRID_LEADER)  # member, elsewhere
    post(PersonFactory(political_status=PoliticalStatus.APPLICANT), w.u3, Role.GRID_LEADER)
    post(PersonFactory(political_status=PoliticalStatus.MASSES), w.u4, Role.GRID_LEADER)
    PersonFactory(membership_unit=w.u1, political_status=member)
    PersonFactory(membership_unit=w.c2, political_status=PoliticalStatus.PROBATIONARY)
    PersonFactory(political_status=PoliticalStatus.ACTIVIST)  # not a member

    from party_work.models import HouseholdLink

    for active in (True, True, False):
        HouseholdLink.objects.create(
            central_household=w.household, address="一号楼101", contact_name="李四", active=active
        )

    for owner, active in [(w.c1, True), (w.c1, False), (w.c3, True)]:
        ServiceStation.objects.create(
            name=f"{owner.name}站{active}",
            level="community",
            owner_unit=owner,
            address="地址",
            lat=32.2,
            lng=119.45,
            active=active,
        )

    env = category("环境卫生")
    w.garbage = category("垃圾清运", env)
    safety = category("公共安全")
    w.lights = category("路灯", safety)
    w.env = env
    w.dept = Department.objects.create(name="区城管局", code="D1", level=DepartmentLevel.DISTRICT)

    w.r1 = request(
        w.g1, w.garbage, at("2026-01-05"), accepted_after=2, resolved_after=20,
        status=Status.CLOSED, rating=Rating.SATISFIED, channel=Channel.WEB,
    )  # fmt: skip
    w.r2 = request(
        w.g1, w.garbage, at("2026-01-06"), accepted_after=4, resolved_after=100,
        status=Status.RESOLVED, rating=Rating.DISSATISFIED, channel=Channel.PHONE,
        level=HandlingLevel.COMMUNITY,
    )  # fmt: skip
    w.r3 = request(w.g1, w.lights, at("2026-01-07"), status=Status.SUBMITTED)
    w.r4 = request(w.g1, w.garbage, at("2026-01-08"), status=Status.REJECTED)
    w.r5 = request(
        w.g1, w.garbage, at("2025-12-20"), accepted_after=1, resolved_after=5,
        status=Status.CLOSED,
    )  # fmt: skip
    w.r6 = request(
        w.g2, w.lights, at("2026-01-10"), accepted_after=1, resolved_after=10,
        status=Status.CLOSED, rating=Rating.BASICALLY_SATISFIED, channel=Channel.PATROL,
        level=HandlingLevel.STREET,
    )  # fmt: skip
    department_link(w.r6, w.dept, called=at("2026-01-11"), acknowledged=True, done=True)
    # Called in on a December request, but in January: counted in January.
    department_link(w.r5, w.dept, called=at("2026-01-02"))
    w.r7 = request(
        w.g4, w.garbage, at("2026-01-12"), accepted_after=5, resolved_after=30,
        status=Status.CLOSED, rating=Rating.SATISFIED,
    )  # fmt: skip
    return w
