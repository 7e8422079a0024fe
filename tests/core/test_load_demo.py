import pytest
from django.core.management import call_command

from grids.models import Grid
from organization.models import (
    OrgForm,
    OrgUnit,
    Person,
    PoliticalStatus,
    Position,
    Role,
    StaffScope,
    UnitKind,
)
from organization.selectors import tree_problems

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """load_demo once for the module (it takes seconds); the tests only read."""
    with django_db_blocker.unblock():
        call_command("load_demo", verbosity=0)
        yield
        from django.core.management import call_command as cc

        cc("flush", "--noinput", verbosity=0)


def _snapshot():
    return {
        "units": list(
            OrgUnit.objects.order_by("code").values_list("code", "lft", "rght", "updated_at")
        ),
        "people": Person.objects.count(),
        "positions": Position.objects.count(),
        "grids": list(Grid.objects.order_by("code").values_list("code", "updated_at")),
    }


def test_load_demo_reproduces_the_published_figures(demo):
    assert OrgUnit.objects.filter(kind=UnitKind.STREET).count() == 6
    assert OrgUnit.objects.filter(kind=UnitKind.GRID).count() == 295
    assert OrgUnit.objects.filter(kind=UnitKind.GRID, org_form=OrgForm.BRANCH).count() == 270
    assert OrgUnit.objects.filter(kind=UnitKind.GRID, org_form=OrgForm.GROUP).count() == 25
    assert Grid.objects.count() == 295
    assert OrgUnit.objects.filter(kind=UnitKind.HOUSEHOLD).count() >= 740
    assert OrgUnit.objects.filter(kind=UnitKind.BUILDING).count() > 295
    members = Person.objects.filter(
        political_status__in=[PoliticalStatus.FULL_MEMBER, PoliticalStatus.PROBATIONARY]
    )
    assert members.count() >= 6100
    retired_secretaries = Position.objects.filter(
        unit__kind=UnitKind.GRID,
        role__in=[Role.SECRETARY, Role.GROUP_LEADER],
        end_date__isnull=True,
        person__retired=True,
    )
    assert retired_secretaries.count() == 264
    leaders = Position.objects.filter(role=Role.GRID_LEADER, end_date__isnull=True)
    assert leaders.count() == 295
    # Party-member grid leaders have moved their membership into their own grid's branch.
    member_leaders = [
        p for p in leaders.select_related("person") if p.person.membership_unit_id == p.unit_id
    ]
    assert len(member_leaders) == 159
    assert leaders.filter(person__political_status=PoliticalStatus.APPLICANT).count() == 126
    assert tree_problems() == []


def test_every_grid_unit_has_exactly_one_grid(demo):
    assert OrgUnit.objects.filter(kind=UnitKind.GRID, grid__isnull=True).count() == 0


def test_a_second_run_changes_nothing(demo):
    before = _snapshot()
    call_command("load_demo", verbosity=0)
    assert _snapshot() == before


def test_demo_logins_have_their_scopes(demo):
    roles = dict(StaffScope.objects.values_list("user__username", "role"))
    assert roles == {
        "orgdept": "org_department",
        "street": "street_staff",
        "community": "community_staff",
        "gridleader": "grid_leader",
        "dept": "department_staff",
    }
    # The grid leader's login is the person who holds the 网格长 post; the member's is a member.
    assert Person.objects.filter(
        user__username="gridleader", positions__role=Role.GRID_LEADER
    ).exists()
    assert Person.objects.get(user__username="member").is_party_member
