import datetime
import itertools
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from core.exceptions import ApplicationError, InvalidTreeMove
from organization import services
from organization.models import KIND_ORDER, OrgForm, OrgUnit, Position, Role, UnitKind
from organization.selectors import tree_problems

from .factories import PersonFactory, chain, unit

pytestmark = pytest.mark.django_db

# Every (child kind, parent kind) pair except the one the chain allows, plus "no parent" for
# every kind that needs one.
WRONG_PAIRS = [
    (child, parent)
    for child, parent in itertools.product(KIND_ORDER, [*KIND_ORDER, None])
    if not (
        (parent is None and child == UnitKind.DISTRICT)
        or (parent is not None and KIND_ORDER.index(child) == KIND_ORDER.index(parent) + 1)
    )
]


def _one_of_each_kind():
    units = {}
    parent = None
    for kind in KIND_ORDER:
        parent = unit(kind, parent)
        units[kind] = parent
    return units


def test_wrong_pairs_cover_every_combination():
    # 6 kinds × 7 parents (6 kinds or none) = 42, of which 6 are right.
    assert len(WRONG_PAIRS) == 36


@pytest.mark.parametrize(("child", "parent"), WRONG_PAIRS)
def test_every_wrong_parent_kind_is_rejected_with_both_kinds_named(child, parent):
    units = _one_of_each_kind()
    parent_unit = units[parent] if parent else None
    before = OrgUnit.objects.count()
    with pytest.raises(InvalidTreeMove) as excinfo:
        services.orgunit_create(kind=child, name="x", code="WRONG", parent=parent_unit)
    message = str(excinfo.value)
    assert str(UnitKind(child).label) in message
    if parent:
        assert str(UnitKind(parent).label) in message
    assert OrgUnit.objects.count() == before


def test_clean_rejects_a_wrong_parent_too():
    units = _one_of_each_kind()
    bad = OrgUnit(kind=UnitKind.GRID, name="g", code="G-BAD", parent=units[UnitKind.STREET])
    with pytest.raises(ValidationError) as excinfo:
        bad.full_clean()
    assert str(UnitKind.STREET.label) in " ".join(excinfo.value.messages)


def test_grid_records_whether_it_is_a_branch_or_a_party_group():
    _, _, [community], _ = chain(grids=0)
    group = unit(UnitKind.GRID, community, org_form=OrgForm.GROUP)
    assert group.org_form == OrgForm.GROUP
    with pytest.raises(ApplicationError):
        unit(UnitKind.GRID, community, org_form=OrgForm.COMMITTEE)


def test_move_keeps_the_rule_and_carries_the_subtree():
    district, street, [c1, c2], grids = chain(communities=2, grids=2)
    building = unit(UnitKind.BUILDING, grids[0])
    moved = services.orgunit_move(unit=grids[0], new_parent=c2)
    assert moved.parent_id == c2.pk
    building.refresh_from_db()
    c2.refresh_from_db()
    assert c2.lft < building.lft < building.rght < c2.rght
    with pytest.raises(InvalidTreeMove, match=str(UnitKind.STREET.label)):
        services.orgunit_move(unit=grids[1], new_parent=street)
    with pytest.raises(InvalidTreeMove):
        services.orgunit_move(unit=c1, new_parent=district)
    assert tree_problems() == []


def test_delete_refuses_a_unit_with_children():
    _, _, [community], [grid] = chain()
    with pytest.raises(ApplicationError, match="still has units under it"):
        services.orgunit_delete(unit=community)
    services.orgunit_delete(unit=grid)
    assert not OrgUnit.objects.filter(pk=grid.pk).exists()


def test_one_current_secretary_per_unit_is_enforced_by_the_database():
    _, _, _, [grid] = chain()
    first, second = PersonFactory(), PersonFactory()
    Position.objects.create(person=first, unit=grid, role=Role.SECRETARY, start_date="2024-01-01")
    with pytest.raises(IntegrityError), transaction.atomic():
        Position.objects.create(
            person=second, unit=grid, role=Role.SECRETARY, start_date="2024-02-01"
        )
    # The service ends the old term first, so the handover works.
    services.position_assign(
        person=second, unit=grid, role=Role.SECRETARY, start_date=datetime.date(2024, 3, 1)
    )
    current = Position.objects.get(unit=grid, role=Role.SECRETARY, end_date__isnull=True)
    assert current.person == second


def test_check_organization_tree_finds_and_fixes_corruption():
    _, _, [community], [grid] = chain()
    OrgUnit.objects.filter(pk=grid.pk).update(lft=999)
    assert tree_problems()
    with pytest.raises(Exception, match="problem"):
        call_command("check_organization_tree")
    call_command("check_organization_tree", "--fix")
    assert tree_problems() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_inserts_under_one_parent_leave_a_valid_tree():
    """Eight threads, each with its own connection, insert children under the same parent at the
    same moment (a barrier releases them together). The advisory lock serializes them."""
    _, _, [community], _ = chain(grids=0)
    barrier = threading.Barrier(8)
    errors = []

    def insert(i):
        try:
            barrier.wait()
            for j in range(5):
                services.orgunit_create(
                    kind=UnitKind.GRID, name=f"g{i}-{j}", code=f"C{i}-{j}", parent=community
                )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=insert, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert OrgUnit.objects.filter(parent=community).count() == 40
    assert tree_problems() == []
    call_command("check_organization_tree")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_writer_waits_while_another_holds_the_tree_lock():
    """Deterministic interleaving: the main thread holds the lock; a second insert must wait
    for it rather than read the parent's stale right value."""
    _, _, [community], _ = chain(grids=0)
    started, finished = threading.Event(), threading.Event()

    def insert():
        try:
            started.set()
            services.orgunit_create(kind=UnitKind.GRID, name="late", code="LATE", parent=community)
            finished.set()
        finally:
            connection.close()

    with services.tree_lock():
        services.orgunit_create(kind=UnitKind.GRID, name="early", code="EARLY", parent=community)
        thread = threading.Thread(target=insert)
        thread.start()
        started.wait(5)
        assert not finished.wait(0.5), "the second writer did not wait for the lock"
    thread.join(10)
    assert finished.is_set()
    assert tree_problems() == []
