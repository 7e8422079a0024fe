"""Reads of the organization tree, and the one place that decides who may see what.

A staff user's scope is the subtree under each unit of their StaffScope rows. `scope_q` turns
that into one EXISTS condition over MPTT ranges that any model can be filtered by, given the path
from that model to its OrgUnit; `units_visible_to` and every list, admin page, API endpoint and
dashboard use it, so each of them is one SQL query however large the tree.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from .models import OrgUnit, Person, StaffRole, StaffScope, UnitKind


def _join(path: str, field: str) -> str:
    return f"{path}__{field}" if path else field


class OuterUnit:
    """The unit of the outer query's row, reached through `path` ("" when the outer rows are
    OrgUnits): for correlated range conditions (EXISTS, annotations per unit)."""

    def __init__(self, path: str = ""):
        self.path = path


def _bounds(unit: "OrgUnit | OuterUnit"):
    if isinstance(unit, OuterUnit):
        return tuple(OuterRef(_join(unit.path, f)) for f in ("tree_id", "lft", "rght"))
    return unit.tree_id, unit.lft, unit.rght


def unit_contains_q(unit: "OrgUnit | OuterUnit", path: str = "") -> Q:
    """Rows whose unit (through `path`) is `unit` or one of its ancestors: an MPTT range."""
    tree_id, lft, rght = _bounds(unit)
    return Q(
        **{
            _join(path, "tree_id"): tree_id,
            _join(path, "lft__lte"): lft,
            _join(path, "rght__gte"): rght,
        }
    )


def unit_within_q(unit: "OrgUnit | OuterUnit", path: str = "") -> Q:
    """Rows whose unit (through `path`) lies in `unit`'s subtree, `unit` included. For a unit
    instance whose range may be stale, use subtree_q (it reads the range in the query)."""
    tree_id, lft, rght = _bounds(unit)
    return Q(
        **{
            _join(path, "tree_id"): tree_id,
            _join(path, "lft__gte"): lft,
            _join(path, "rght__lte"): rght,
        }
    )


def scopes_covering(user, unit: "OrgUnit | OuterUnit") -> QuerySet[StaffScope]:
    """The user's scopes whose subtree holds `unit`: the one rule of who sees what. scope_q is
    "one of these exists" for the outer row's unit; the services read the rows themselves
    (their roles and unit kinds) for a unit at hand."""
    return StaffScope.objects.filter(
        unit_contains_q(unit, "unit"), user_id=user.pk, unit__isnull=False
    )


def scope_q(user, path: str = "") -> Q:
    """A condition true for rows whose unit (reached through `path`) lies in the user's scope.

    `path` is the lookup from the filtered model to its OrgUnit: "" for OrgUnit itself, "unit"
    for Grid, "grid__unit" for a request. Superusers see everything; anonymous users nothing.
    """
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    return Q(Exists(scopes_covering(user, OuterUnit(path))))


def filter_visible(queryset: QuerySet, user, path: str = "") -> QuerySet:
    return queryset.filter(scope_q(user, path))


def visible_q_for(model, user) -> Q | None:
    """The scope condition for any model that declares SCOPE_PATH (None: not scoped).

    People are seen through their membership unit or through any post they hold in scope,
    so a non-party grid leader is visible to the staff above their grid.
    """
    path = getattr(model, "SCOPE_PATH", None)
    if path is None:
        return None
    q = scope_q(user, path)
    if model is Person and not user.is_superuser:
        from .models import Position

        q |= Q(Exists(Position.objects.filter(person=OuterRef("pk")).filter(scope_q(user, "unit"))))
    return q


def units_visible_to(user) -> QuerySet[OrgUnit]:
    """Every unit the user may see: one query, whatever the tree's size."""
    return filter_visible(OrgUnit.objects.all(), user)


def unit_is_visible(user, unit: OrgUnit) -> bool:
    return units_visible_to(user).filter(pk=unit.pk).exists()


def subtree_q(unit: OrgUnit, path: str = "", include_self: bool = True) -> Q:
    """Rows whose unit (through `path`) lies in `unit`'s subtree: an MPTT range, no recursion.

    The range is read inside the same query (uncorrelated scalar subqueries, which PostgreSQL
    evaluates once), so a `unit` instance whose lft/rght went stale after inserts still works.
    """
    this = OrgUnit.objects.filter(pk=unit.pk)
    lft, rght = Subquery(this.values("lft")[:1]), Subquery(this.values("rght")[:1])
    q = Q(**{_join(path, "tree_id"): unit.tree_id})
    if include_self:
        q &= Q(**{_join(path, "lft__gte"): lft, _join(path, "rght__lte"): rght})
    else:
        q &= Q(**{_join(path, "lft__gt"): lft, _join(path, "rght__lt"): rght})
    return q


def units_under(unit: OrgUnit, *, kind: str | None = None) -> QuerySet[OrgUnit]:
    qs = OrgUnit.objects.filter(subtree_q(unit))
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def staff_roles(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(StaffScope.objects.filter(user_id=user.pk).values_list("role", flat=True))


def is_organization_department(user) -> bool:
    return StaffRole.ORG_DEPARTMENT in staff_roles(user)


def scope_root_units(user) -> QuerySet[OrgUnit]:
    """The units the user's scopes sit on (the tops of what they see)."""
    if user.is_superuser:
        return OrgUnit.objects.filter(kind=UnitKind.DISTRICT, parent__isnull=True)
    return OrgUnit.objects.filter(staff_scopes__user_id=user.pk).distinct()


def department_ids_of(user) -> list[int]:
    """The departments a department-staff user acts for."""
    if not user.is_authenticated:
        return []
    return list(
        StaffScope.objects.filter(
            user_id=user.pk, role=StaffRole.DEPARTMENT_STAFF, department__isnull=False
        ).values_list("department_id", flat=True)
    )


def person_for_user(user) -> Person | None:
    if not user.is_authenticated:
        return None
    return Person.objects.filter(user_id=user.pk).select_related("membership_unit").first()


def tree_problems() -> list[str]:
    """Every inconsistency between the parent links and MPTT's stored values.

    Walks the tree once in Python from the parent links and compares what it computes with what
    is stored: left/right/level/tree id, plus the rule that a child is one level below its parent.
    """
    from .models import PARENT_KIND

    rows = list(
        OrgUnit.objects.order_by("tree_id", "lft").values(
            "pk", "parent_id", "kind", "code", "lft", "rght", "level", "tree_id"
        )
    )
    by_pk = {row["pk"]: row for row in rows}
    children: dict[int | None, list[dict]] = {}
    for row in rows:
        children.setdefault(row["parent_id"], []).append(row)
    problems: list[str] = []
    for root in children.get(None, []):
        counter = root["lft"]
        stack = [(root, 0, False)]
        while stack:
            row, level, done = stack.pop()
            if done:
                if row["rght"] != counter:
                    problems.append(f"{row['code']}: rght is {row['rght']}, expected {counter}")
                counter += 1
                continue
            if row["lft"] != counter:
                problems.append(f"{row['code']}: lft is {row['lft']}, expected {counter}")
            if row["level"] != level:
                problems.append(f"{row['code']}: level is {row['level']}, expected {level}")
            if row["tree_id"] != root["tree_id"]:
                problems.append(f"{row['code']}: tree_id differs from its root's")
            parent = by_pk.get(row["parent_id"])
            if parent and PARENT_KIND.get(row["kind"]) != parent["kind"]:
                problems.append(f"{row['code']}: a {row['kind']} under a {parent['kind']}")
            counter += 1
            stack.append((row, level, True))
            for child in sorted(children.get(row["pk"], []), key=lambda r: r["lft"], reverse=True):
                stack.append((child, level + 1, False))
    seen_trees = {}
    for root in children.get(None, []):
        if root["tree_id"] in seen_trees:
            problems.append(f"{root['code']}: shares tree_id {root['tree_id']} with another root")
        seen_trees[root["tree_id"]] = root
    return problems
