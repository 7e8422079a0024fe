"""我的待办 (my to-do): what one person must act on now, soonest deadline first, and its page.

Each kind of to-do is one transition of the table (transitions.py) narrowed to "this person must
act now", computed in SQL (one query per kind, whatever the number of requests):

- accept, dispatch, escalate: staff whose scope unit is the one handling the request's current
  level (分级响应: a grid leader for a grid-level request, community staff for a community-level
  one, street staff for a street-level one). Rank is enough to run these transitions
  (selectors.request_handler_role; escalating needs the unit that holds the level,
  Who.LEVEL_HOLDER), but the request waits on the level that holds it, not on every level
  above. Escalate: an order with a party member past its resolve deadline.
- acknowledge (报到), department_done: department staff, per department called in.
- take, resolve: the party member the request is dispatched to.
- callback (回访): community staff, for resolved requests of their community whose current
  resolution has no rating yet (neither the resident's nor a reached call-back's), until they
  close unrated. A call-back that did not reach the resident leaves it here.
- approve_change ("to approve"): an extension (延期) or a suspension (挂起) waiting for a decision,
  for the staff whose scope unit reaches the rank it needs (never the applicant). A suspended
  request is in nobody's accept, dispatch, escalate, take or resolve rows: its clock is stopped.

Superusers act as every handler and every department (as transitions_available says). Every row
is one the user may run now: tests/resident_requests/test_todo.py checks each against
selectors.transitions_available.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from core.views import TwoStepLoginMixin
from organization.models import StaffScope, UnitKind
from organization.selectors import department_ids_of, person_for_user, unit_within_q

from .models import (
    OPEN_STATUSES,
    ActorRole,
    ChangeStatus,
    DeadlineChange,
    HandlingLevel,
    RequestDepartment,
    RequestRating,
    ResidentRequest,
    Status,
)
from .transitions import AUTO_CLOSE_AFTER, TRANSITIONS

# The page lists at most this many rows (the title counts them all).
TODO_LIMIT = 200
DEFAULT_DUE_SOON_HOURS = 24

# The levels a scope unit of each kind handles (departments are coordinated by the street).
_LEVELS_HANDLED = {
    UnitKind.GRID: (HandlingLevel.GRID,),
    UnitKind.COMMUNITY: (HandlingLevel.COMMUNITY,),
    UnitKind.STREET: (HandlingLevel.STREET, HandlingLevel.DEPARTMENT),
}

APPROVE_LABEL = gettext_lazy("To approve: extension or suspension")

# How far up the chain a scope unit of each kind reaches (selectors.actor_rank's ranks).
_UNIT_RANK = {UnitKind.GRID: 0, UnitKind.COMMUNITY: 1, UnitKind.STREET: 2, UnitKind.DISTRICT: 3}

# The request columns a row shows (and the querysets load).
_REQUEST_FIELDS = (
    "pk",
    "code",
    "status",
    "level",
    "address",
    "building__address",
    "category__name",
    "category__parent__name",
)


def due_soon_hours() -> int:
    return int(getattr(settings, "TODO_DUE_SOON_HOURS", DEFAULT_DUE_SOON_HOURS))


@dataclass(frozen=True)
class Marker:
    """How close a deadline is: `key` is the CSS class (overdue red, soon amber, later green,
    none grey), `text` says it in words (not by colour alone)."""

    key: str
    text: str


def deadline_marker(deadline: datetime.datetime | None, now: datetime.datetime | None = None):
    now = now or timezone.now()
    if deadline is None:
        return Marker("none", _("No deadline"))
    if deadline < now:
        return Marker("overdue", _("Overdue"))
    hours = due_soon_hours()
    if deadline <= now + datetime.timedelta(hours=hours):
        return Marker("soon", _("Due within %(hours)s h") % {"hours": hours})
    return Marker("later", _("On time"))


@dataclass
class TodoRow:
    action: str  # a transition's name
    label: str
    url: str
    request_id: int
    code: str
    category: str
    place: str
    deadline: datetime.datetime | None
    marker: Marker


@dataclass
class Todo:
    rows: list[TodoRow]  # soonest deadline first, at most TODO_LIMIT
    total: int  # all of them
    is_member: bool = False  # a party member (their orders are on /member/ too)


# --- The candidate sets, one queryset per kind ---------------------------------------------------


@dataclass
class _Bounds:
    """A scope unit's MPTT range, as unit_within_q reads it."""

    tree_id: int
    lft: int
    rght: int


class _Actor:
    """What the queries need to know of the user: read once (three small queries at most)."""

    def __init__(self, user):
        self.user = user
        self.superuser = user.is_superuser
        self.scopes = (
            []
            if self.superuser
            else list(
                StaffScope.objects.filter(user_id=user.pk, unit__isnull=False).values_list(
                    "unit__kind", "unit__tree_id", "unit__lft", "unit__rght"
                )
            )
        )
        self.departments = [] if self.superuser else department_ids_of(user)
        self.person = person_for_user(user)

    def _units_q(self, kinds, *, by_level: bool) -> Q | None:
        """Requests in the subtree of one of the user's scope units of these kinds (and, with
        `by_level`, at a level that unit handles); None: no such scope."""
        q = None
        for kind, tree_id, lft, rght in self.scopes:
            if kind not in kinds:
                continue
            part = unit_within_q(_Bounds(tree_id, lft, rght), "grid__unit")
            if by_level:
                part &= Q(level__in=_LEVELS_HANDLED[kind])
            q = part if q is None else q | part
        return q

    def handled_q(self) -> Q | None:
        """Requests whose current level this user's unit handles (None: none)."""
        return Q() if self.superuser else self._units_q(_LEVELS_HANDLED, by_level=True)

    def community_q(self) -> Q | None:
        """Requests in a community this user is community staff of (None: none)."""
        return Q() if self.superuser else self._units_q((UnitKind.COMMUNITY,), by_level=False)

    def approver_q(self) -> Q | None:
        """Requests whose pending application this user's rank may decide (None: none)."""
        pending = DeadlineChange.objects.filter(
            request_id=OuterRef("pk"), status=ChangeStatus.PENDING
        ).exclude(asked_by_id=self.user.pk)  # nobody approves their own
        if self.superuser:
            return Q(Exists(pending))
        q = None
        for kind, tree_id, lft, rght in self.scopes:
            if kind not in _UNIT_RANK:
                continue
            part = unit_within_q(_Bounds(tree_id, lft, rght), "grid__unit") & Q(
                Exists(pending.filter(approver_rank__lte=_UNIT_RANK[kind]))
            )
            q = part if q is None else q | part
        return q

    def departments_q(self) -> Q | None:
        if self.superuser:
            return Q()
        return Q(department_id__in=self.departments) if self.departments else None


def _requests(q: Q, deadline) -> QuerySet[ResidentRequest]:
    return ResidentRequest.objects.filter(q).annotate(todo_deadline=deadline)


# Not suspended (挂起): a stopped clock waits for "resume", not for these actions.
_RUNNING = Q(suspended_since__isnull=True)


def _pending_applies() -> Q:
    """The pending application still fits the request (selectors.change_applies, in SQL):
    asked at its current level, and a party member's while the order is theirs and taken."""
    asked = DeadlineChange.objects.filter(
        request_id=OuterRef("pk"), status=ChangeStatus.PENDING, level=OuterRef("level")
    )
    return Q(status__in=[Status.ACCEPTED, Status.DISPATCHED, Status.TAKEN]) & (
        Q(Exists(asked.exclude(asked_role=ActorRole.PARTY_MEMBER)))
        | Q(Exists(asked.filter(asked_role=ActorRole.PARTY_MEMBER)), status=Status.TAKEN)
    )


def _links(q: Q, deadline) -> QuerySet[RequestDepartment]:
    return (
        RequestDepartment.objects.filter(q, request__status__in=OPEN_STATUSES)
        .annotate(todo_deadline=deadline)
        .select_related("request")
    )


def _kinds(actor: _Actor, now: datetime.datetime) -> list[tuple[str, QuerySet]]:
    """(action, queryset annotated with todo_deadline) for each kind this user can have."""
    kinds = []
    handled = actor.handled_q()
    if handled is not None:
        kinds += [
            ("accept", _requests(handled & Q(status=Status.SUBMITTED), F("accept_deadline"))),
            (
                "dispatch",
                _requests(
                    handled
                    & _RUNNING
                    & Q(status=Status.ACCEPTED)
                    & ~Q(level=HandlingLevel.DEPARTMENT),
                    F("resolve_deadline"),
                ),
            ),
            (
                "escalate",
                _requests(
                    handled
                    & _RUNNING
                    & Q(status__in=[Status.DISPATCHED, Status.TAKEN], resolve_deadline__lt=now)
                    & ~Q(level=HandlingLevel.DEPARTMENT),
                    F("resolve_deadline"),
                ),
            ),
        ]
    approver = actor.approver_q()
    if approver is not None:
        kinds.append(
            ("approve_change", _requests(approver & _pending_applies(), F("resolve_deadline")))
        )
    departments = actor.departments_q()
    if departments is not None:
        pending = departments & Q(reported_done_at__isnull=True)
        kinds += [
            (
                "acknowledge",
                _links(pending & Q(acknowledged_at__isnull=True), F("acknowledge_deadline")),
            ),
            (
                "department_done",
                _links(
                    pending
                    & Q(acknowledged_at__isnull=False, request__suspended_since__isnull=True),
                    F("done_deadline"),
                ),
            ),
        ]
    if actor.person is not None:
        mine = Q(assignee_id=actor.person.pk)
        kinds += [
            (
                "take",
                _requests(mine & _RUNNING & Q(status=Status.DISPATCHED), F("resolve_deadline")),
            ),
            (
                "resolve",
                _requests(mine & _RUNNING & Q(status=Status.TAKEN), F("resolve_deadline")),
            ),
        ]
    community = actor.community_q()
    if community is not None:
        kinds.append(
            (
                "callback",
                _requests(
                    community
                    & Q(status=Status.RESOLVED)
                    & ~Exists(
                        RequestRating.objects.filter(
                            request_id=OuterRef("pk"), resolution=OuterRef("reopened_count")
                        )
                    ),
                    F("resolved_at") + AUTO_CLOSE_AFTER,
                ),
            )
        )
    return kinds


def _row(action: str, obj, now) -> TodoRow:
    request = obj.request if isinstance(obj, RequestDepartment) else obj
    if action in ("take", "resolve"):
        url = reverse("resident_requests:member_order", args=[request.code])
    elif action == "accept":  # one click on the change page
        url = reverse("admin:resident_requests_residentrequest_change", args=[request.pk])
    else:  # the transition's own page, with its form
        url = reverse(
            "admin:resident_requests_residentrequest_transition", args=[request.pk, action]
        )
    label = APPROVE_LABEL if action == "approve_change" else None
    label = label or TRANSITIONS[action].label_for(request)
    category = request.category.name
    if request.category.parent_id:
        category = f"{request.category.parent.name} › {category}"
    place = request.building.address if request.building_id else request.address
    return TodoRow(
        action=action,
        label=str(label),
        url=url,
        request_id=request.pk,
        code=request.code,
        category=category,
        place=place or _("Location to be checked"),
        deadline=obj.todo_deadline,
        marker=deadline_marker(obj.todo_deadline, now),
    )


def _soonest_first(queryset: QuerySet, related: str = "") -> QuerySet:
    prefix = f"{related}__" if related else ""
    return queryset.select_related(f"{prefix}category__parent", f"{prefix}building").order_by(
        F("todo_deadline").asc(nulls_last=True), "pk"
    )


def todo_for(user, *, now: datetime.datetime | None = None, limit: int = TODO_LIMIT) -> Todo:
    """What `user` must act on now: one query per kind of to-do (and three to know the user),
    however many requests there are."""
    if user is None or not user.is_authenticated:
        return Todo(rows=[], total=0)
    now = now or timezone.now()
    actor = _Actor(user)
    rows, total = [], 0
    for action, queryset in _kinds(actor, now):
        related = "request" if queryset.model is RequestDepartment else ""
        # The window counts every candidate before the LIMIT: the total in the same query.
        found = list(
            _soonest_first(queryset, related).annotate(todo_total=Window(Count("pk")))[:limit]
        )
        total += found[0].todo_total if found else 0
        rows += [_row(action, obj, now) for obj in found]
    far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    rows.sort(key=lambda r: (r.deadline or far, r.code, r.action))
    return Todo(rows=rows[:limit], total=total, is_member=actor.person is not None)


def todo_count(user, *, now: datetime.datetime | None = None) -> int:
    """How many to-dos `user` has (the admin's entry point): one COUNT per kind."""
    if user is None or not user.is_authenticated:
        return 0
    now = now or timezone.now()
    return sum(queryset.count() for _action, queryset in _kinds(_Actor(user), now))


# --- The page ---------------------------------------------------------------------------------


class TodoLoginView(TwoStepLoginMixin, auth_views.LoginView):
    """Sign in for the to-do (staff and party members alike): the password, then the one-time
    code for a user with a two-factor device."""

    template_name = "resident_requests/member_login.html"  # the same form, another heading
    extra_context = {"heading": gettext_lazy("My to-do: sign in")}

    def get_default_redirect_url(self):
        return reverse("resident_requests:todo")


todo_login = TodoLoginView.as_view()


@never_cache
def todo_page(http_request):
    user = http_request.user
    if not user.is_authenticated:
        return redirect_to_login(
            http_request.get_full_path(), reverse("resident_requests:todo_login")
        )
    # Staff who set up two-factor login pass it in the admin's login first (ops.admin).
    if user.is_staff and not admin.site.has_permission(http_request):
        return redirect_to_login(http_request.get_full_path(), reverse("admin:login"))
    todo = todo_for(user)
    return render(
        http_request,
        "resident_requests/todo.html",
        {
            "todo": todo,
            "shown": len(todo.rows),
            "due_soon_hours": due_soon_hours(),
            # Department staff: the whole list of requests waiting for their 报到, in the admin.
            "waiting_report_url": (
                reverse("admin:resident_requests_residentrequest_changelist") + "?report=waiting"
                if user.is_staff and (user.is_superuser or department_ids_of(user))
                else ""
            ),
        },
    )


def orders_by_deadline(requests, *, now: datetime.datetime | None = None) -> list:
    """A member's open orders, oldest resolve deadline first, each with its `marker`."""
    now = now or timezone.now()
    far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    for request in requests:
        request.marker = deadline_marker(request.resolve_deadline, now)
    return sorted(requests, key=lambda r: (r.resolve_deadline or far, r.pk))
