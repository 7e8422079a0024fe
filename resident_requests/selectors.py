"""Reads of resident requests: scoped lists, public look-ups, and what the deadline tasks need."""

import datetime
import functools
import hmac
import math
import random
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Now
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.cache import LocalMemo
from core.exceptions import ApplicationError, IllegalTransition, OutOfScope
from core.privacy import redact_text
from core.rows import Prepared, raw_rows
from grids import selectors as grid_selectors
from grids.models import Building, Grid
from organization.models import OrgUnit, Person, StaffRole, UnitKind
from organization.selectors import department_ids_of, person_for_user, scope_q, scopes_covering

from .models import (
    INTERNAL_EVENT_KINDS,
    OPEN_STATUSES,
    ActorRole,
    Category,
    ChangeStatus,
    DeadlineChange,
    EventKind,
    HandlingLevel,
    RequestDepartment,
    RequestEvent,
    RequestPhoto,
    RequestSupporter,
    ResidentRequest,
    Status,
)
from .transitions import AUTO_CLOSE_AFTER, SURFACE_WHO, TRANSITIONS, Surface, Transition, Who

NEARBY_METRES = 250
SIMILAR_UNTOUCHED_AFTER = datetime.timedelta(days=30)


# --- What a figure counts: the one definition ---------------------------------------------------

RESOLVED_LATE = Q(resolved_at__gt=F("resolve_deadline"))
# Past the deadline now. A suspended request's clock stopped when it was suspended (挂起; its
# deadline moves by the paused span when it resumes, so a resolved one is compared with the
# moved deadline above): it is late only if it was late already then.
PAST_DEADLINE_NOW = Q(resolve_deadline__lt=Now()) & (
    Q(suspended_since__isnull=True) | Q(resolve_deadline__lt=F("suspended_since"))
)
OPEN_LATE = Q(status__in=OPEN_STATUSES) & PAST_DEADLINE_NOW

# Which requests each of the dashboard's counters counts. The dashboard aggregates with them and
# the admin list filters with them ("counted" filter), so a figure and its list cannot drift.
REQUEST_FIGURES: dict[str, tuple[Q, str]] = {
    # 有效诉求: what the resolution rate is taken over (rejected and merged ones are not).
    "valid": (~Q(status__in=[Status.REJECTED, Status.MERGED]), gettext_lazy("Valid")),
    "accepted": (Q(accepted_at__isnull=False), gettext_lazy("Accepted")),
    "resolved": (Q(resolved_at__isnull=False), gettext_lazy("Resolved")),
    "closed": (Q(status=Status.CLOSED), gettext_lazy("Closed")),
    # Resolved by the deadline (a request without a deadline cannot be late).
    "on_time": (
        Q(resolved_at__isnull=False)
        & (Q(resolve_deadline__isnull=True) | Q(resolved_at__lte=F("resolve_deadline"))),
        gettext_lazy("Resolved on time"),
    ),
    # Went past its deadline: resolved late, or still open past it.
    "late": (RESOLVED_LATE | OPEN_LATE, gettext_lazy("Went past the deadline")),
    # Rated at least once; satisfied in at least one rating. (满意率 itself counts resolutions:
    # the sums of rated_count and satisfied_count, which these requests carry.)
    "rated": (Q(rated_count__gt=0), gettext_lazy("Rated")),
    "satisfied": (Q(satisfied_count__gt=0), gettext_lazy("Satisfied")),
    "open_now": (Q(status__in=OPEN_STATUSES), gettext_lazy("Open now")),
    "overdue_now": (
        Q(status__in=OPEN_STATUSES) & (Q(overdue=True) | PAST_DEADLINE_NOW),
        gettext_lazy("Overdue now"),
    ),
}


# A department's part in a request (吹哨 → 报到 → done), as the dashboard counts it.
DEPARTMENT_CALL_STATES: dict[str, Q] = {
    "acknowledged": Q(acknowledged_at__isnull=False),
    "done": Q(reported_done_at__isnull=False),
}


def department_called_q(
    department_id: int,
    *,
    called_from: datetime.datetime | None = None,
    called_before: datetime.datetime | None = None,
    state: str | None = None,
) -> Q:
    """Requests a department was called in on, in [called_from, called_before), and, with
    `state`, that it acknowledged or reported done (DEPARTMENT_CALL_STATES). A department is
    called in at most once on a request, so these requests are as many as the calls."""
    calls = RequestDepartment.objects.filter(request_id=OuterRef("pk"), department_id=department_id)
    if called_from:
        calls = calls.filter(created_at__gte=called_from)
    if called_before:
        calls = calls.filter(created_at__lt=called_before)
    if state:
        calls = calls.filter(DEPARTMENT_CALL_STATES[state])
    return Q(Exists(calls))


def figure_q(name: str) -> Q:
    """The requests a dashboard counter counts (REQUEST_FIGURES); KeyError for an unknown one."""
    return REQUEST_FIGURES[name][0]


def category_subtree_q(category_id: int | None, path: str = "category") -> Q:
    """The category and, for a top-level one, its sub-categories: as `IN (SELECT id …)`, so
    PostgreSQL reads only those categories' requests through rr_category_created_idx instead of
    joining every request to its category."""
    if not category_id:
        return Q()
    ids = Category.objects.filter(Q(pk=category_id) | Q(parent_id=category_id)).values("pk")
    return Q(**{f"{path}_id__in": ids})


# --- Who sees a request: the one rule -----------------------------------------------------------


def request_visible_q(user, *, assigned: bool = False, grids_first: bool = False) -> Q:
    """The one visibility rule of requests: those whose grid lies in the user's scope
    (organization's scope_q), plus those escalated to the user's departments. Superusers see
    every request, anonymous users none. The admin, the API, the selectors, the services'
    checks (transition_role, built on the same scopes) and the notifications' list read
    requests through it.

    `assigned`: also the orders dispatched to the user as a party member. The surfaces where
    members act on their orders (the API, the member pages) add them; the staff lists (admin,
    notifications) do not, so a grid leader who is also a party member elsewhere does not
    list that other grid's requests there.

    `grids_first`: resolve the scope to the list of its grids' ids first (one query) and filter
    by it, so PostgreSQL can use the (grid, created_at) index of a large list; the same rows.
    """
    if user is None or not user.is_authenticated:
        return Q(pk__in=[])
    if grids_first and not user.is_superuser:
        grid_ids = list(
            Grid.objects.filter(scope_q(user, Grid.SCOPE_PATH)).values_list("pk", flat=True)
        )
        q = Q(grid_id__in=grid_ids)
    else:
        q = scope_q(user, ResidentRequest.SCOPE_PATH)
    if not user.is_superuser:
        departments = department_ids_of(user)
        if departments:
            q |= Q(
                Exists(
                    RequestDepartment.objects.filter(
                        request_id=OuterRef("pk"), department_id__in=departments
                    )
                )
            )
        if assigned:
            person = person_for_user(user)
            if person is not None:
                q |= Q(assignee=person)
    return q


def requests_visible_to(user, *, assigned: bool = False) -> QuerySet[ResidentRequest]:
    return ResidentRequest.objects.filter(request_visible_q(user, assigned=assigned))


def request_for_code(user, code: str) -> ResidentRequest | None:
    """The request with this tracking code, if the user may see it (e.g. the request a
    duplicate is merged into)."""
    code = (code or "").strip().upper()
    if not code or len(code) > 24:
        return None
    return requests_visible_to(user).filter(code=code).first()


# --- Who may run which transition (transitions.TRANSITIONS) -------------------------------------

# How far up the chain a scope unit reaches; a request at a level needs at least that rank.
_UNIT_RANK = {UnitKind.GRID: 0, UnitKind.COMMUNITY: 1, UnitKind.STREET: 2, UnitKind.DISTRICT: 3}
# Department-level requests stay coordinated by the street that blew the whistle.
_LEVEL_RANK = {
    HandlingLevel.GRID: 0,
    HandlingLevel.COMMUNITY: 1,
    HandlingLevel.STREET: 2,
    HandlingLevel.DEPARTMENT: 2,
}
_ROLE_ORDER = [
    StaffRole.ORG_DEPARTMENT,
    StaffRole.STREET_STAFF,
    StaffRole.COMMUNITY_STAFF,
    StaffRole.GRID_LEADER,
]


class ActorOnRequest:
    """What the checks need to know of one actor and one request, each read once."""

    def __init__(self, actor, request: ResidentRequest):
        self.actor = actor
        self.request = request

    @cached_property
    def scopes(self) -> list[tuple[str, str]]:
        """(role, unit kind) of each of the actor's scopes whose subtree holds the grid: the
        rows behind scope_q, the visibility rule's unit part."""
        return list(
            scopes_covering(self.actor, self.request.grid.unit).values_list("role", "unit__kind")
        )

    @cached_property
    def is_assignee(self) -> bool:
        if self.actor is None or not self.request.assignee_id:
            return False
        return Person.objects.filter(user_id=self.actor.pk, pk=self.request.assignee_id).exists()

    @cached_property
    def department_links(self) -> list[RequestDepartment]:
        """The links of the called-in departments the actor acts for (all, for a superuser):
        the visibility rule's department part."""
        if self.actor is None or not self.actor.is_authenticated:
            return []
        links = list(self.request.department_links.all())
        if self.actor.is_superuser:
            return links
        mine = set(department_ids_of(self.actor))
        return [link for link in links if link.department_id in mine]

    @cached_property
    def pending_change(self) -> DeadlineChange | None:
        """The extension or suspension waiting for a decision, if it still applies (asked at
        the request's current level and status)."""
        return pending_change_of(self.request)


def _facts(actor, request, facts: ActorOnRequest | None) -> ActorOnRequest:
    if facts is not None and facts.actor is actor and facts.request is request:
        return facts
    return ActorOnRequest(actor, request)


def request_staff_role(actor, request: ResidentRequest, facts=None) -> str:
    """The actor's role for this request, or OutOfScope. Superusers act as administrators."""
    if actor is None or not actor.is_authenticated:
        raise OutOfScope(_("Sign in to act on this request."))
    if actor.is_superuser:
        return ActorRole.ADMINISTRATOR
    scopes = _facts(actor, request, facts).scopes
    if not scopes:
        raise OutOfScope(
            _("Request %(code)s is outside your area: you cannot act on it.")
            % {"code": request.code}
        )
    roles = {role for role, _kind in scopes}
    return next(role for role in _ROLE_ORDER if role in roles)


def request_handler_role(actor, request: ResidentRequest, facts=None) -> str:
    """Like request_staff_role, and the actor's unit must reach the request's current handling
    level (分级响应: a grid leader does not act on what the street now handles)."""
    facts = _facts(actor, request, facts)
    role = request_staff_role(actor, request, facts)
    if role == ActorRole.ADMINISTRATOR:
        return role
    rank = max(_UNIT_RANK[kind] for _role, kind in facts.scopes)
    if rank < _LEVEL_RANK[request.level]:
        raise OutOfScope(
            _(
                "Request %(code)s is now handled at the %(level)s level: only staff at that "
                "level or above can act on it."
            )
            % {"code": request.code, "level": request.get_level_display()}
        )
    return role


def request_level_holder_role(actor, request: ResidentRequest, facts=None) -> str:
    """Like request_handler_role, and the actor's unit must hold exactly the request's handling
    level: escalation is run from the level that holds the request (a grid leader submits to
    the community, the street blows the whistle), never by a level below or above it."""
    facts = _facts(actor, request, facts)
    role = request_handler_role(actor, request, facts)
    if role == ActorRole.ADMINISTRATOR:
        return role
    if not any(_UNIT_RANK[kind] == _LEVEL_RANK[request.level] for _role, kind in facts.scopes):
        raise OutOfScope(
            _(
                "Request %(code)s is held at the %(level)s level: only the staff of that level "
                "can escalate it."
            )
            % {"code": request.code, "level": request.get_level_display()}
        )
    return role


def request_assignee_role(actor, request: ResidentRequest, facts=None) -> str:
    """OutOfScope unless the request is dispatched to the actor (a party member)."""
    if not _facts(actor, request, facts).is_assignee:
        raise OutOfScope(_("Request %(code)s is not dispatched to you.") % {"code": request.code})
    return ActorRole.PARTY_MEMBER


def request_department_role(actor, request: ResidentRequest, facts=None) -> str:
    """OutOfScope unless the actor acts for a department called in on the request. (The
    services then check the one department the actor names.)"""
    if actor is None or not actor.is_authenticated:
        raise OutOfScope(_("Sign in to act for a department."))
    if not _facts(actor, request, facts).department_links:
        raise OutOfScope(
            _("Request %(code)s is outside your area: you cannot act on it.")
            % {"code": request.code}
        )
    return StaffRole.DEPARTMENT_STAFF


def change_applies(change: DeadlineChange, request: ResidentRequest) -> bool:
    """Whether a pending application still fits the request: asked at its current level (an
    escalation or a reopening ends it), and a party member's while the order is still theirs."""
    if change.level != request.level:
        return False
    if change.asked_role == ActorRole.PARTY_MEMBER:
        return request.status == Status.TAKEN
    return True


def pending_change_of(request: ResidentRequest) -> DeadlineChange | None:
    """The request's pending extension or suspension, if it still applies (change_applies)."""
    change = DeadlineChange.objects.filter(
        request_id=request.pk, status=ChangeStatus.PENDING
    ).first()
    return change if change is not None and change_applies(change, request) else None


def actor_rank(actor, request: ResidentRequest, facts=None) -> int:
    """How far up the chain the actor's scopes over the request reach (0 grid … 3 district);
    a superuser reaches the top. -1: no scope over it."""
    if actor is not None and actor.is_superuser:
        return max(_UNIT_RANK.values())
    scopes = _facts(actor, request, facts).scopes if actor is not None else []
    return max((_UNIT_RANK[kind] for _role, kind in scopes), default=-1)


def level_rank(level: str) -> int:
    return _LEVEL_RANK[level]


def request_approver_role(actor, request: ResidentRequest, facts=None) -> str:
    """The actor may decide the request's pending extension or suspension: staff whose scope
    over the request reaches the rank the application needs (the level above the applicant's),
    never the applicant. IllegalTransition when nothing waits for a decision."""
    facts = _facts(actor, request, facts)
    role = request_staff_role(actor, request, facts)
    change = facts.pending_change
    if change is None:
        raise IllegalTransition(
            _("No extension or suspension of request %(code)s waits for a decision.")
            % {"code": request.code}
        )
    if change.asked_by_id == actor.pk:
        raise OutOfScope(
            _("You asked for this %(kind)s yourself: the level above decides on it.")
            % {"kind": change.get_kind_display()}
        )
    if actor_rank(actor, request, facts) < change.approver_rank:
        raise OutOfScope(
            _("The %(kind)s of request %(code)s is decided by the level above: not by you.")
            % {"kind": change.get_kind_display(), "code": request.code}
        )
    return role


_WHO_CHECKS = {
    Who.HANDLER: request_handler_role,
    Who.LEVEL_HOLDER: request_level_holder_role,
    Who.STAFF: request_staff_role,
    Who.DEPARTMENT: request_department_role,
    Who.ASSIGNEE: request_assignee_role,
    Who.APPROVER: request_approver_role,
}


def _who(actor, request: ResidentRequest, transition: Transition, facts) -> tuple[Who, str]:
    """Which of the transition's `who` the actor runs it as, and the role its event records;
    OutOfScope when none."""
    who = transition.who
    if Who.RESIDENT in who:
        return Who.RESIDENT, ActorRole.RESIDENT
    if actor is None and Who.SYSTEM in who:
        return Who.SYSTEM, ActorRole.SYSTEM
    if Who.ASSIGNEE in who and len(who) > 1:
        if facts.is_assignee:
            return Who.ASSIGNEE, ActorRole.PARTY_MEMBER
        who = tuple(w for w in who if w != Who.ASSIGNEE)  # then as staff
    # The first of the checkable kinds the actor passes (e.g. the level's staff, else a
    # department called in); the first one's refusal when none.
    first_error = None
    for kind in (w for w in who if w in _WHO_CHECKS):
        try:
            return kind, _WHO_CHECKS[kind](actor, request, facts)
        except ApplicationError as exc:
            first_error = first_error or exc
    if first_error is None:  # the system's own (reopen): no person runs it
        raise OutOfScope(_("Nobody runs this by hand: it follows from another step."))
    raise first_error


def transition_status_check(request: ResidentRequest, name: str, who: Who | None = None) -> None:
    """IllegalTransition unless the request's status is one the transition starts from."""
    transition = TRANSITIONS[name]
    allowed = transition.sources_for(who) if who else transition.sources
    if request.status not in allowed:
        raise IllegalTransition(
            _(
                "Request %(code)s cannot be %(action)s: it is %(status)s now. Reload the page "
                "to see its current state."
            )
            % {
                "code": request.code,
                "action": transition.verb,
                "status": request.get_status_display(),
            }
        )


def _check(actor, request: ResidentRequest, name: str, facts) -> tuple[Who, str]:
    transition = TRANSITIONS[name]
    who, role = _who(actor, request, transition, facts)
    transition_status_check(request, name, who)
    for refusal in transition.refusals:
        if not refusal.who or who in refusal.who:
            refused = refusal.when(request, facts) if refusal.with_facts else refusal.when(request)
        else:
            refused = False
        if refused:
            building = request.building.address if request.building_id else ""
            raise IllegalTransition(refusal.message % {"code": request.code, "building": building})
    return who, role


def transition_role(
    actor, request: ResidentRequest, name: str, *, facts: ActorOnRequest | None = None
) -> str:
    """Whether `actor` may run transition `name` on `request` now, as the table says: who may
    run it, from which statuses, and its refusals. Returns the role its event records; raises
    OutOfScope or IllegalTransition with the message for people. The services call it under
    the row lock; transitions_available calls it to show what may be done."""
    return _check(actor, request, name, _facts(actor, request, facts))[1]


def transitions_available(
    user, request: ResidentRequest, *, surface: Surface | None = None
) -> list[Transition]:
    """The transitions `user` may run on `request` now (on `surface`, if given): what every
    surface shows, and what it refuses otherwise. A department's transitions are offered while
    one of the user's departments still has that part to do."""
    facts = ActorOnRequest(user, request)
    found = []
    for transition in TRANSITIONS.values():
        if surface is not None and surface not in transition.surfaces:
            continue
        if Who.RESIDENT in transition.who:
            continue  # the resident's own pages: reached by their link, not by an account
        try:
            who, _role = _check(user, request, transition.name, facts)
        except ApplicationError:
            continue
        if surface is not None and who not in SURFACE_WHO[surface]:
            continue  # e.g. staff resolve in the admin, the member on the member pages
        if who == Who.DEPARTMENT and transition.name in ("acknowledge", "department_done"):
            pending = [link for link in facts.department_links if not link.reported_done_at]
            if transition.name == "acknowledge":
                pending = [link for link in pending if not link.acknowledged_at]
            if not pending:
                continue
        found.append(transition)
    return found


# What people type for JK-20261125-7KQ3MX2PA: dashes left out or as spaces, lower case,
# full-width characters from a Chinese input method, O for 0 and I or L for 1 in the date.
_CODE_TYPED_RE = re.compile(r"^JK([0-9OIL]{8})([0-9A-Z]{9})$")
_CODE_DATE_DIGITS = str.maketrans("OIL", "011")


def normalize_tracking_code(text: str) -> str:
    """A tracking code as typed, in the form it is stored (JK-20261125-7KQ3MX2PA) where it has
    the shape of one; otherwise the text without spaces and dashes, in upper case."""
    text = unicodedata.normalize("NFKC", text or "").upper()
    compact = "".join(ch for ch in text if not ch.isspace() and ch not in "-_—–‐")
    match = _CODE_TYPED_RE.match(compact)
    if match is None:
        return compact
    return f"JK-{match[1].translate(_CODE_DATE_DIGITS)}-{match[2]}"


def request_for_tracking(*, code: str, phone_last4: str) -> ResidentRequest | None:
    """The request with this code whose phone ends in these 4 digits; None for any mismatch
    (the caller answers exactly as for an unknown code). The code may be typed loosely
    (normalize_tracking_code)."""
    code = normalize_tracking_code(code)
    phone_last4 = (phone_last4 or "").strip()
    # ASCII digits only: str.isdigit() accepts "１２３４" too, which compare_digest refuses.
    if len(phone_last4) != 4 or not (phone_last4.isascii() and phone_last4.isdigit()):
        return None
    if len(code) > 24:
        return None
    request = ResidentRequest.objects.filter(code=code).select_related("category__parent").first()
    if request is None:
        return None
    if not hmac.compare_digest(request.submitter_phone[-4:], phone_last4):
        return None
    return request


# "My requests" by phone shows at most this many (newest first).
MY_REQUESTS_LIMIT = 100


def requests_for_phone(phone: str) -> list[ResidentRequest]:
    """The requests a verified phone number reported or said "me too" to, newest first, each
    with `is_mine` (reported by this phone: its private page may be linked)."""
    if not phone:
        return []
    supported = list(
        RequestSupporter.objects.filter(phone=phone)
        .order_by("-request_id")
        .values_list("request_id", flat=True)[:MY_REQUESTS_LIMIT]
    )
    # Two index look-ups OR-ed together (submitter_phone, and the primary keys), not a scan.
    requests = list(
        ResidentRequest.objects.filter(Q(submitter_phone=phone) | Q(pk__in=supported))
        .select_related("category__parent", "building")
        .order_by("-created_at", "-id")[:MY_REQUESTS_LIMIT]
    )
    for request in requests:
        request.is_mine = request.submitter_phone == phone
    return requests


# The resident's own page is read far more often than a request changes: its three queries are
# compiled once per process (core.rows.Prepared), which was a third of the page's CPU.
_BY_TOKEN = Prepared(lambda token: ResidentRequest.objects.filter(access_token=token)[:1], str)


def request_for_token(token: str) -> ResidentRequest | None:
    if not token or len(token) > 64 or "\x00" in token:  # PostgreSQL refuses a NUL
        return None
    found = _BY_TOKEN(token)
    if not found:
        return None
    request = found[0]
    # The category with its parent: the pages show "环境卫生 › 垃圾清运" (Category.__str__).
    # An active one from the form's memoized choices (no query); another, read with its parent.
    category = category_choices().leaves.get(request.category_id)
    if category is None or (category.parent_id and not Category.parent.is_cached(category)):
        category = Category.objects.select_related("parent").get(pk=request.category_id)
    request.category = category
    return request


# Staff-only steps (an extension or suspension asked, or refused; a call-back that did not reach
# the resident) stay off the resident's timeline.
_PUBLIC_TIMELINE = Prepared(
    lambda request_id: (
        RequestEvent.objects.filter(request_id=request_id)
        .exclude(kind__in=[*INTERNAL_EVENT_KINDS, EventKind.CALLBACK_NOT_REACHED])
        .only(
            "request",
            "kind",
            "actor_role",
            "actor_surname",
            "to_status",
            "public_note",
            "deadline",
            "created_at",
        )
        .order_by("created_at", "id")
    )
)


def public_timeline(request: ResidentRequest) -> list[RequestEvent]:
    """The events a resident may see, oldest first: their public notes, the actor by role and
    surname."""
    events = _PUBLIC_TIMELINE(request.pk)
    for event in events:  # event.request is the request at hand, not a query each
        RequestEvent.request.field.set_cached_value(event, request)
    return events


_PHOTOS = Prepared(lambda request_id: RequestPhoto.objects.filter(request_id=request_id))


def request_photos(request: ResidentRequest) -> list[RequestPhoto]:
    """All the photos of `request`, in their model's order: for its resident and for staff."""
    return _PHOTOS(request.pk)


# The form's two-level picker is read on every view of the public form; categories change a few
# times a year, in the admin. Kept in each process's memory under a version in the shared cache
# (core.cache.LocalMemo: one small read per page, no unpickling), dropped whenever a category is
# saved or deleted, and never older than CATEGORIES_TREE_TIMEOUT anyway (changes made by
# queryset.update() send no signal).
CATEGORIES_TREE_TIMEOUT = 300


@dataclass(frozen=True, eq=False)
class CategoryChoices:
    """What the form offers and accepts. `version` changes whenever the categories do (the
    form's memoized picker HTML is keyed by it); `leaves` are the categories a request may have
    (active, second level), by id, for checking a posted choice without a query."""

    version: int
    tree: list[tuple[Category, list[Category]]]
    leaves: dict[int, Category]


def _category_choices_build() -> CategoryChoices:
    categories = list(Category.objects.filter(active=True).order_by("sort_order", "code"))
    by_pk = {category.pk: category for category in categories}
    children: dict[int, list[Category]] = {}
    for category in categories:
        if category.parent_id:
            children.setdefault(category.parent_id, []).append(category)
            if category.parent_id in by_pk:  # its parent, without a query when it is read
                category.parent = by_pk[category.parent_id]
    tree = [(c, children.get(c.pk, [])) for c in categories if not c.parent_id and c.pk in children]
    leaves = {c.pk: c for c in categories if c.parent_id}
    return CategoryChoices(version=random.getrandbits(62), tree=tree, leaves=leaves)  # noqa: S311


CATEGORY_CHOICES = LocalMemo(
    "rr:categories", _category_choices_build, max_age=CATEGORIES_TREE_TIMEOUT
)


def category_choices() -> CategoryChoices:
    return CATEGORY_CHOICES.value()


def categories_tree() -> list[tuple[Category, list[Category]]]:
    """Active top-level categories with their active children, for the two-level picker."""
    return category_choices().tree


@receiver(post_save, sender=Category, dispatch_uid="rr_categories_tree_saved")
@receiver(post_delete, sender=Category, dispatch_uid="rr_categories_tree_deleted")
def _categories_changed(**kwargs) -> None:
    CATEGORY_CHOICES.invalidate()


def buildings_matching(text: str, limit: int = 10) -> QuerySet[Building]:
    """The buildings a resident means (5栋 = 五号楼 = 5号楼, estate or community names), best
    first, with their grids: grids' building search."""
    return grid_selectors.buildings_search(text, limit=limit)


# What the "me too" offer shows of a similar request (views._similar_rows) and what supporting
# it reads before locking the row: the rest of the row is not loaded (deferred, as by .only()).
SIMILAR_FIELDS = (
    "building__address",
    "category__name",
    "created_at",
    "description",
    "public_allowed",
    "status",
    "submitter_name",
    "supporters_count",
)


@functools.cache
def _similar_sql(vendor: str) -> str:
    """The look-up's SQL, written once: it runs on a resident's first post of the form, where
    building the same query through the ORM (an OR of a subquery and a computed distance) cost
    more than the query itself. `vendor` keys the cache (table names are quoted per database)."""
    q = connection.ops.quote_name
    own = [
        f"r.{q(ResidentRequest._meta.get_field(name).column)}"
        for name in ("id", "building", "category", *(f for f in SIMILAR_FIELDS if "__" not in f))
    ]
    statuses = ", ".join(["%s"] * len(OPEN_STATUSES))
    north, east = "((b.lat - %s) * %s)", "((b.lng - %s) * %s)"
    return (
        f"SELECT {', '.join(own)}, b.address AS similar_address, c.name AS similar_category "  # noqa: S608 (table names from the models; values as parameters)
        f"FROM {q(ResidentRequest._meta.db_table)} r "
        f"JOIN {q(Building._meta.db_table)} b ON b.id = r.building_id "
        f"JOIN {q(Category._meta.db_table)} c ON c.id = r.category_id "
        f"WHERE r.category_id = %s AND r.status IN ({statuses}) "
        # The newest event of the row by rr_event_request_idx, one probe a row: as an EXISTS,
        # the plan made once for any values (core.rows) hashed every event of the month
        # instead (at ten million requests 1.6 ms a look-up, against 0.3–0.4 ms now).
        f"AND (r.updated_at >= %s OR (SELECT max(e.created_at) FROM "
        f"{q(RequestEvent._meta.db_table)} e WHERE e.request_id = r.id) >= %s) "
        # The building's own id on the building's side of the join, as the box is: PostgreSQL
        # then starts from the few buildings in the box and reads each one's open requests of
        # the category by rr_building_cat_idx, instead of every open request of the category
        # in the district (at ten million requests, 0.7 ms instead of 15 ms).
        "AND (b.id = %s OR (b.lat BETWEEN %s AND %s AND b.lng BETWEEN %s AND %s "
        f"AND {north} * {north} + {east} * {east} <= %s)) "
        "ORDER BY r.supporters_count DESC, r.created_at DESC LIMIT %s"
    )


def _partial(model, db: str, values: dict):
    """An instance of `model` with only `values` loaded (the other fields deferred, read from
    the database if ever used, as with .only())."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(db, names, [values[name] for name in names])


def similar_open_requests(
    *, building: Building, category: Category, limit: int = 5
) -> list[ResidentRequest]:
    """Open requests of the same category in the same building or within 250 m of it, most
    supported first, with their building and category (SIMILAR_FIELDS loaded). The distance is
    reckoned in the database (metres north and east of the building, which at 250 m is the
    great-circle distance to a millimetre), so that only the rows shown are loaded. A request
    nobody touched for a month (the row or its timeline) is likely stale: not offered."""
    metres_lat = 111_320
    metres_lng = 111_320 * max(math.cos(math.radians(building.lat)), 0.01)
    d_lat, d_lng = NEARBY_METRES / metres_lat, NEARBY_METRES / metres_lng
    touched_since = connection.ops.adapt_datetimefield_value(
        timezone.now() - SIMILAR_UNTOUCHED_AFTER
    )
    lat, lng = building.lat, building.lng
    params = [
        category.pk,
        *OPEN_STATUSES,
        touched_since,
        touched_since,
        building.pk,
        lat - d_lat,
        lat + d_lat,
        lng - d_lng,
        lng + d_lng,
        lat,
        metres_lat,
        lat,
        metres_lat,
        lng,
        metres_lng,
        lng,
        metres_lng,
        NEARBY_METRES**2,
        limit,
    ]
    # On PostgreSQL a prepared statement, planned once for any values (core.rows.execute):
    # from the buildings in the box (building_lat_lng_idx) to each one's open requests of the
    # category (rr_building_cat_idx), the same plan whatever the district's size.
    found = []
    for r, extra in raw_rows(ResidentRequest, _similar_sql(connection.vendor), params):
        r.building = _partial(
            Building, r._state.db, {"id": r.building_id, "address": extra["similar_address"]}
        )
        r.category = _partial(
            Category, r._state.db, {"id": r.category_id, "name": extra["similar_category"]}
        )
        found.append(r)
    return found


PUBLIC_REF_SALT = "resident_requests.public_view"


def public_ref(request: ResidentRequest) -> str:
    """The key of the request's public view (/requests/p/<ref>/), the link "me too" supporters
    get: signed, so that other requests cannot be reached by changing the number in it."""
    return signing.Signer(salt=PUBLIC_REF_SALT).sign(str(request.pk))


def request_for_public_ref(ref: str) -> ResidentRequest | None:
    if not ref or len(ref) > 100:
        return None
    try:
        pk = signing.Signer(salt=PUBLIC_REF_SALT).unsign(ref)
    except signing.BadSignature:
        return None
    if not pk.isdigit():
        return None
    return (
        ResidentRequest.objects.filter(pk=int(pk))
        .select_related("category__parent", "building")
        .first()
    )


def public_photos(request: ResidentRequest) -> QuerySet[RequestPhoto]:
    """Only the photos a grid leader approved for public display."""
    return request.photos.filter(public_approved=True)


def support_ref(request: ResidentRequest) -> str:
    """An opaque reference for "me too" buttons: the primary key never appears in public."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"support:{request.pk}".encode(), "sha256"
    ).hexdigest()
    return digest[:20]


def dispatch_note_for(request: ResidentRequest, person: Person) -> str:
    """The note written for `person` when `request` was last dispatched to them (the internal
    note of that DISPATCHED event): the member reads it on their order page."""
    note = (
        request.events.filter(kind=EventKind.DISPATCHED, assignee=person)
        .order_by("-created_at", "-id")
        .values_list("internal_note", flat=True)
        .first()
    )
    return note or ""


def requests_for_member(person: Person) -> QuerySet[ResidentRequest]:
    return (
        ResidentRequest.objects.filter(assignee=person)
        .select_related("category__parent", "building", "grid")
        .order_by("-dispatched_at", "-created_at")
    )


# --- For the deadline rounds and the messages (deadlines.py, messages.py) ---------------------


def unit_of_level(request: ResidentRequest) -> OrgUnit:
    """The unit handling the request now; departments are coordinated by the street."""
    if request.level == HandlingLevel.GRID:
        return request.grid.unit
    if request.level == HandlingLevel.COMMUNITY:
        return request.grid.community
    return OrgUnit.objects.get(pk=request.grid.community.parent_id)


def requests_overdue(now: datetime.datetime | None = None) -> QuerySet[ResidentRequest]:
    """Open requests past a deadline that are not flagged overdue yet."""
    now = now or timezone.now()
    # A suspended request's clock is stopped (挂起): not overdue while it is.
    return ResidentRequest.objects.filter(
        status__in=OPEN_STATUSES, overdue=False, suspended_since__isnull=True
    ).filter(Q(status=Status.SUBMITTED, accept_deadline__lt=now) | Q(resolve_deadline__lt=now))


def requests_unrated_due(now: datetime.datetime | None = None) -> QuerySet[ResidentRequest]:
    """Resolved requests nobody rated within 7 days: request_close_unrated closes them."""
    now = now or timezone.now()
    return ResidentRequest.objects.filter(
        status=Status.RESOLVED, resolved_at__lte=now - AUTO_CLOSE_AFTER
    )


def department_links_overdue(now: datetime.datetime | None = None) -> QuerySet[RequestDepartment]:
    """Departments that have not reported in (报到) or not reported done in time."""
    now = now or timezone.now()
    return RequestDepartment.objects.filter(
        request__status__in=OPEN_STATUSES, request__suspended_since__isnull=True
    ).filter(
        Q(acknowledged_at__isnull=True, acknowledge_deadline__lt=now)
        | Q(reported_done_at__isnull=True, done_deadline__lt=now)
    )


def open_and_overdue_by_community() -> dict[int, tuple[int, int]]:
    """{community unit id: (open requests, of which overdue)}: one grouped query."""
    rows = (
        ResidentRequest.objects.filter(status__in=OPEN_STATUSES)
        .values("grid__community_id")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(overdue=True)))
    )
    return {row["grid__community_id"]: (row["open"], row["overdue"]) for row in rows}


# --- The public map of problems (/problems/ and its GeoJSON) -----------------------------------

# Resolved (or closed after resolving) within these days: still shown, as done.
PUBLIC_MAP_RESOLVED_DAYS = 30
# The most points one map (or one GeoJSON answer) receives: the newest, the list pages the rest.
PUBLIC_MAP_MAX_POINTS = 300
# A request without a building is placed at its pin rounded to 3 decimals (≈ 110 m by ≈ 95 m
# here): near enough to find the problem, not a doorstep.
PUBLIC_MAP_PIN_DECIMALS = 3
PUBLIC_MAP_EXCERPT_CHARS = 140
PUBLIC_PROBLEM_FIELDS = (
    "public_id",
    "created_at",
    "status",
    "description",
    "submitter_name",  # read by redact_text() to hide it, never shown
    "supporters_count",
    "lat",
    "lng",
    "building__address",
    "building__lat",
    "building__lng",
    "grid__name",
    "category__name",
    "category__parent__name",
)


def problems_public(
    *,
    street: OrgUnit | None = None,
    community: OrgUnit | None = None,
    category_id: int | None = None,
    status: str = "",
    now: datetime.datetime | None = None,
) -> QuerySet[ResidentRequest]:
    """Requests on the public map: the resident allowed public display and staff approved it
    (services.request_public_map_set), open or resolved within PUBLIC_MAP_RESOLVED_DAYS; newest
    first. `status`: "open", "resolved" or "" for both. `category_id`: a category or a group."""
    now = now or timezone.now()
    resolved = Q(
        status__in=[Status.RESOLVED, Status.CLOSED],
        resolved_at__gte=now - datetime.timedelta(days=PUBLIC_MAP_RESOLVED_DAYS),
    )
    if status == "open":
        shown = Q(status__in=OPEN_STATUSES)
    elif status == "resolved":
        shown = resolved
    else:
        shown = Q(status__in=OPEN_STATUSES) | resolved
    requests = ResidentRequest.objects.filter(
        shown, public_allowed=True, public_approved_at__isnull=False
    )
    if community is not None:
        requests = requests.filter(grid__community=community)
    if street is not None:
        requests = requests.filter(grid__community__parent=street)
    if category_id:
        requests = requests.filter(Q(category_id=category_id) | Q(category__parent_id=category_id))
    # Only the columns public_problem() reads: 300 rows of the map, with their joins.
    return (
        requests.select_related("category__parent", "building", "grid")
        .only(*PUBLIC_PROBLEM_FIELDS)
        .order_by("-created_at", "-id")
    )


def public_problem(request: ResidentRequest, *, with_text: bool = True) -> dict:
    """What the public map and list show of a request: category, place (the building, or the
    pin rounded), date, status and the redacted text; the public id and the signed link to its
    public view. Never a name, a phone, the typed address or the tracking code."""
    if request.building_id:
        lat, lng = request.building.lat, request.building.lng
        place = request.building.address
    else:
        lat, lng = request.lat, request.lng
        if lat is not None and lng is not None:
            lat = round(lat, PUBLIC_MAP_PIN_DECIMALS)
            lng = round(lng, PUBLIC_MAP_PIN_DECIMALS)
        place = request.grid.name
    text = ""
    if with_text:
        text = redact_text(strip_tags(request.description), names=[request.submitter_name])
    return {
        "id": request.public_id,
        "category": str(request.category),
        "place": place,
        "lat": lat,
        "lng": lng,
        "created": timezone.localdate(request.created_at).isoformat(),
        "status": request.status,
        "status_display": str(request.get_status_display()),
        "open": request.status in OPEN_STATUSES,
        "supporters": request.supporters_count,
        "text": Truncator(text).chars(PUBLIC_MAP_EXCERPT_CHARS),
        "url": reverse("resident_requests:public", args=[public_ref(request)]),
    }
