"""Writes to the organization tree and its people.

django-mptt leaves concurrent writes to the caller: two unsynchronized inserts under the same
parent both read the parent's right value and corrupt the tree. Every insert, move and delete
therefore runs inside `tree_lock()`, which serializes them, and re-fetches the nodes it touches
inside the lock.
"""

import datetime
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from core.exceptions import ApplicationError, InvalidTreeMove

from .models import DEFAULT_FORM, OrgUnit, Person, Position, Role, check_parent_kind

# An arbitrary constant naming the organization tree's advisory lock on PostgreSQL.
TREE_LOCK_KEY = 0x4A4B_0001


@contextmanager
def tree_lock():
    """Hold the tree's write lock until the surrounding transaction ends.

    On PostgreSQL: a transaction-level advisory lock. On SQLite the database itself admits one
    writer at a time; BEGIN IMMEDIATE is not available through Django, so the first write
    serializes instead.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TREE_LOCK_KEY])
        yield


def _check_kinds(kind: str, parent: OrgUnit | None) -> None:
    try:
        check_parent_kind(kind, parent.kind if parent else None)
    except ValidationError as exc:
        raise InvalidTreeMove(exc.messages[0]) from exc


def orgunit_create(
    *, kind: str, name: str, code: str, parent: OrgUnit | None, org_form: str = ""
) -> OrgUnit:
    with tree_lock():
        if parent is not None:
            parent = OrgUnit.objects.get(pk=parent.pk)  # fresh lft/rght inside the lock
        _check_kinds(kind, parent)
        unit = OrgUnit(
            kind=kind, name=name, code=code, parent=parent, org_form=org_form or DEFAULT_FORM[kind]
        )
        try:
            unit.full_clean()
        except ValidationError as exc:
            raise ApplicationError(" ".join(exc.messages), extra=exc.message_dict) from exc
        unit.save()
        return unit


def orgunit_move(*, unit: OrgUnit, new_parent: OrgUnit) -> OrgUnit:
    """Move a unit, with its whole subtree, under another parent of the right level."""
    with tree_lock():
        unit = OrgUnit.objects.get(pk=unit.pk)
        new_parent = OrgUnit.objects.get(pk=new_parent.pk)
        _check_kinds(unit.kind, new_parent)
        if new_parent.tree_id == unit.tree_id and unit.lft <= new_parent.lft <= unit.rght:
            raise InvalidTreeMove("A unit cannot be moved under itself or its own descendants.")
        unit.move_to(new_parent, position="last-child")
        return OrgUnit.objects.get(pk=unit.pk)


def orgunit_rename(*, unit: OrgUnit, name: str) -> OrgUnit:
    """Ordinary updates never touch `parent`, so they need no tree lock. Saved as a save (not a
    queryset update), so receivers of post_save (the dashboards' cached figures) hear of it."""
    unit = OrgUnit.objects.get(pk=unit.pk)
    unit.name = name
    unit.save(update_fields=["name", "updated_at"])
    return unit


def orgunit_delete(*, unit: OrgUnit) -> None:
    with tree_lock():
        unit = OrgUnit.objects.get(pk=unit.pk)
        if unit.get_descendant_count():
            raise ApplicationError("This unit still has units under it: move or delete them first.")
        unit.delete()


def position_assign(
    *, person: Person, unit: OrgUnit, role: str, start_date: datetime.date
) -> Position:
    """Give a person a post. A new secretary first ends the current one's term."""
    with transaction.atomic():
        if role == Role.SECRETARY:
            Position.objects.select_for_update().filter(
                unit=unit, role=Role.SECRETARY, end_date__isnull=True
            ).update(end_date=start_date)
        position = Position(person=person, unit=unit, role=role, start_date=start_date)
        position.full_clean()
        position.save()
        return position


def tree_rebuild() -> None:
    """Recompute every left/right value from the parent links (check_organization_tree --fix)."""
    with tree_lock():
        OrgUnit.objects.rebuild()
