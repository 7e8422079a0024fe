"""The request's state machine as data: every transition once, read by every surface.

Each row says where a transition starts (`sources`), where it ends (`target`), who may run it
(`who`: staff by their unit's rank against the request's handling level, any staff of the area,
the party member dispatched to, a department called in, the system, the resident), the input it
needs (`form`: the shape each surface turns into its form or serializer, and `arguments`, the
service's keyword arguments it fills), the event it records and the service that runs it.

- resident_requests.services runs them: the status check of every service reads `sources`
  here, and `selectors.transition_role` checks `who`, the status and the `refusals` in one
  place (the services call it under the row lock).
- `selectors.transitions_available(user, request, surface=...)` is what a user may run now:
  the admin's buttons, the API's refusals, the member page's buttons come from it.
- The admin's transition pages, the API's action endpoints and the member page's actions are
  generated from `surfaces`: a new row appears on each surface it names (each surface maps the
  row's `form` to its form class).

This module holds data only (models and translations), so that services, selectors and
surfaces can all import it.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import OPEN_STATUSES, EventKind, HandlingLevel, ResidentRequest, Status


class Who(StrEnum):
    """Who may run a transition (selectors.transition_role checks each)."""

    # Staff whose scope unit reaches the request's current handling level (分级响应), superusers.
    HANDLER = "handler"
    # Staff whose scope unit holds exactly the request's current handling level (a grid leader
    # for a grid-level request, the street for a street-level one), superusers: escalation is
    # run from the level that holds the request, never from below nor for another level.
    LEVEL_HOLDER = "level_holder"
    # Staff whose area holds the request, at any level; superusers.
    STAFF = "staff"
    # The party member the request is dispatched to (党员接单).
    ASSIGNEE = "assignee"
    # Staff of a department called in on the request (部门报到); superusers.
    DEPARTMENT = "department"
    # The deadline rounds (no actor).
    SYSTEM = "system"
    # The resident, on the public pages (anyone with the link).
    RESIDENT = "resident"
    # Staff of the level above the one that asked for an extension or a suspension (the
    # level's own staff for a party member's or a department's application), never the
    # applicant; superusers (selectors.request_approver_role).
    APPROVER = "approver"


class Surface(StrEnum):
    ADMIN = "admin"
    API = "api"
    MEMBER = "member"


# Whom each surface serves: a transition is offered there to these actors only.
SURFACE_WHO = {
    Surface.ADMIN: frozenset(
        {Who.HANDLER, Who.LEVEL_HOLDER, Who.STAFF, Who.DEPARTMENT, Who.APPROVER}
    ),
    Surface.API: frozenset(
        {Who.HANDLER, Who.LEVEL_HOLDER, Who.STAFF, Who.DEPARTMENT, Who.ASSIGNEE, Who.APPROVER}
    ),
    Surface.MEMBER: frozenset({Who.ASSIGNEE}),
}

# A resolved request its resident has not rated is closed this long after (the resident may
# rate it until then).
AUTO_CLOSE_AFTER = datetime.timedelta(days=7)


@dataclass(frozen=True)
class Refusal:
    """A condition on the request (beyond its status) under which the transition is refused,
    with the message that says so. `who`: only for these actors (empty: for all)."""

    when: Callable[[ResidentRequest], bool]
    message: str
    who: frozenset = frozenset()
    # `when` takes (request, facts): the selectors' ActorOnRequest, for a condition that needs
    # a query (read once per page and shared by the rows).
    with_facts: bool = False


@dataclass(frozen=True)
class Transition:
    name: str
    label: str  # the button's text
    verb: str  # "Request X cannot be <verb>: it is <status> now."
    sources: tuple[str, ...]
    target: str | None  # None: the status does not change, or depends on the input
    who: tuple[Who, ...]
    event: str  # the EventKind it records
    service: str  # the function of resident_requests.services that runs it
    # The input's shape (None: none); each surface maps it to its form or serializer.
    form: str | None = None
    # The service's keyword arguments (besides request and actor) the input fills.
    arguments: tuple[str, ...] = ()
    surfaces: frozenset = frozenset()
    # Narrower sources for some actors: {who: statuses}.
    sources_by_who: dict = field(default_factory=dict)
    refusals: tuple[Refusal, ...] = ()
    # The admin offers it as one button, without a page for its (optional) input.
    one_click: bool = False
    # The API's path segment (default: the name).
    url_path: str = ""
    summary: str = ""  # the API's one-line description
    done_message: str = ""  # what the member page says once it ran
    # The button's text by the request's handling level, where it says more than `label`.
    labels_by_level: dict = field(default_factory=dict)
    # The input's `note` must be given (by a person; the system needs none).
    note_required: str = ""  # the message when it is empty

    def label_for(self, request: ResidentRequest | None = None) -> str:
        """The button's text for `request` (what it does at the request's level)."""
        if request is not None and request.level in self.labels_by_level:
            return self.labels_by_level[request.level]
        return self.label

    def sources_for(self, who: Who) -> tuple[str, ...]:
        return self.sources_by_who.get(who, self.sources)

    @property
    def api_path(self) -> str:
        return self.url_path or self.name


def _with_departments(request: ResidentRequest) -> bool:
    return request.level == HandlingLevel.DEPARTMENT


_STAFF_SURFACES = frozenset({Surface.ADMIN, Surface.API})
_WITH_DEPARTMENTS_DISPATCH = Refusal(
    _with_departments,
    _("Request %(code)s is with the departments: they report their part done instead."),
)
_WITH_DEPARTMENTS_RESOLVE = Refusal(
    _with_departments,
    _(
        "Request %(code)s is with the departments: it is resolved when each of them has "
        "reported its part done."
    ),
    who=frozenset({Who.HANDLER}),
)
_HAS_BUILDING = Refusal(
    lambda request: request.building_id is not None,
    _("Request %(code)s already has its building: %(building)s."),
)

# 挂起: while a suspension pauses the clock nothing moves the request on; resume it first.
_SUSPENDED = Refusal(
    lambda request: request.suspended_since is not None,
    _("Request %(code)s is suspended (挂起): resume handling first."),
)
_NOT_SUSPENDED = Refusal(
    lambda request: request.suspended_since is None,
    _("Request %(code)s is not suspended: there is nothing to resume."),
)
# One application waits for a decision at a time.
_CHANGE_WAITING = Refusal(
    lambda request, facts: facts.pending_change is not None,
    _(
        "Request %(code)s already has an extension or suspension waiting for a decision: "
        "wait for it."
    ),
    with_facts=True,
)
# Being handled: what an extension or a suspension applies to.
_HANDLING = (Status.ACCEPTED, Status.DISPATCHED, Status.TAKEN)
_ALL_SURFACES = frozenset({Surface.ADMIN, Surface.API, Surface.MEMBER})

_RATING_TIME_LEFT = Refusal(
    lambda request: (
        bool(request.resolved_at) and request.resolved_at > timezone.now() - AUTO_CLOSE_AFTER
    ),
    _("Request %(code)s was resolved less than 7 days ago: the resident may still rate it."),
)

_ROWS = [
    Transition(
        name="accept",
        label=_("Accept"),
        verb=_("accepted"),
        sources=(Status.SUBMITTED,),
        target=Status.ACCEPTED,
        who=(Who.HANDLER,),
        event=EventKind.ACCEPTED,
        service="request_accept",
        form="note",
        arguments=("note",),
        surfaces=_STAFF_SURFACES,
        one_click=True,
        summary=_("Accept (受理)"),
    ),
    Transition(
        name="reject",
        label=_("Reject"),
        verb=_("rejected"),
        sources=(Status.SUBMITTED,),
        target=Status.REJECTED,
        who=(Who.HANDLER,),
        event=EventKind.REJECTED,
        service="request_reject",
        form="reason",
        arguments=("reason", "internal_note"),
        surfaces=_STAFF_SURFACES,
        summary=_("Reject (不予受理), with the reason shown to the resident"),
    ),
    Transition(
        name="merge",
        label=_("Merge as duplicate"),
        verb=_("merged"),
        sources=(Status.SUBMITTED, Status.ACCEPTED),
        target=Status.MERGED,
        who=(Who.HANDLER,),
        event=EventKind.MERGED,
        service="request_merge_by_code",
        form="merge",
        arguments=("into_code", "note"),
        refusals=(_SUSPENDED,),
        surfaces=_STAFF_SURFACES,
        summary=_("Merge as a duplicate of another request"),
    ),
    Transition(
        name="dispatch",
        label=_("Dispatch to a party member"),
        verb=_("dispatched"),
        sources=(Status.ACCEPTED,),
        target=Status.DISPATCHED,
        who=(Who.HANDLER,),
        event=EventKind.DISPATCHED,
        service="request_dispatch",
        form="dispatch",
        arguments=("assignee", "team", "note"),
        surfaces=_STAFF_SURFACES,
        refusals=(
            _SUSPENDED,
            _WITH_DEPARTMENTS_DISPATCH,
        ),
        summary=_("Dispatch to a party member or a volunteer team (派单)"),
    ),
    Transition(
        name="take",
        label=_("Take this order"),
        verb=_("taken"),
        sources=(Status.DISPATCHED,),
        target=Status.TAKEN,
        who=(Who.ASSIGNEE,),
        event=EventKind.TAKEN,
        service="request_take",
        form="note",
        arguments=("note",),
        refusals=(_SUSPENDED,),
        surfaces=frozenset({Surface.API, Surface.MEMBER}),
        summary=_("Take the order (接单): the party member dispatched to"),
        done_message=_("You took this order. Thank you!"),
    ),
    Transition(
        name="decline",
        label=_("Give it back"),
        verb=_("declined"),
        sources=(Status.DISPATCHED, Status.TAKEN),
        target=Status.ACCEPTED,
        who=(Who.ASSIGNEE,),
        event=EventKind.DECLINED,
        service="request_decline",
        form="decline",
        arguments=("reason",),
        surfaces=frozenset({Surface.API, Surface.MEMBER}),
        summary=_("Decline the order: the party member dispatched to"),
        done_message=_("The order went back to the grid leader."),
    ),
    Transition(
        name="escalate",
        label=_("Escalate"),
        verb=_("escalated"),
        sources=tuple(OPEN_STATUSES),
        target=None,  # accepted when a member's order ends, else unchanged
        who=(Who.LEVEL_HOLDER, Who.SYSTEM),
        event=EventKind.ESCALATED,
        service="request_escalate",
        form="escalate",
        arguments=("note", "internal_note", "departments"),
        refusals=(_SUSPENDED,),
        surfaces=_STAFF_SURFACES,
        summary=_("Escalate one level up (吹哨), or call in departments"),
        # 网格发现、社区收集、街道吹哨、部门报到: what the button does at each level.
        labels_by_level={
            HandlingLevel.GRID: _("Submit to the community (提交社区)"),
            HandlingLevel.COMMUNITY: _("Submit to the street (提交街道)"),
            HandlingLevel.STREET: _("Blow the whistle: call in departments (街道吹哨)"),
            HandlingLevel.DEPARTMENT: _("Call in more departments (部门报到)"),
        },
        note_required=_(
            "Give the reason for escalating request %(code)s: the level above and the "
            "resident read it."
        ),
    ),
    Transition(
        name="resolve",
        label=_("Resolve"),
        verb=_("resolved"),
        sources=(Status.ACCEPTED, Status.DISPATCHED, Status.TAKEN),
        target=Status.RESOLVED,
        who=(Who.ASSIGNEE, Who.HANDLER),
        event=EventKind.RESOLVED,
        service="request_resolve",
        form="resolve",
        arguments=("note", "photos"),
        surfaces=frozenset({Surface.ADMIN, Surface.API, Surface.MEMBER}),
        sources_by_who={Who.ASSIGNEE: (Status.TAKEN,)},
        refusals=(
            _SUSPENDED,
            _WITH_DEPARTMENTS_RESOLVE,
        ),
        summary=_("Resolve (办结): what was done, shown to the resident"),
        done_message=_("Reported as resolved. Thank you!"),
    ),
    Transition(
        name="acknowledge",
        label=_("Report in (报到)"),
        verb=_("acknowledged"),
        sources=tuple(OPEN_STATUSES),
        target=None,
        who=(Who.DEPARTMENT,),
        event=EventKind.DEPARTMENT_ACKNOWLEDGED,
        service="department_acknowledge",
        form="department",
        arguments=("department", "note"),
        surfaces=_STAFF_SURFACES,
        summary=_("Report in for a department (报到)"),
    ),
    Transition(
        name="department_done",
        label=_("Report our part done"),
        verb=_("reported done"),
        sources=tuple(OPEN_STATUSES),
        target=None,  # resolved once every department has reported
        who=(Who.DEPARTMENT,),
        event=EventKind.DEPARTMENT_DONE,
        service="department_report_done",
        form="department_done",
        arguments=("department", "note"),
        refusals=(_SUSPENDED,),
        surfaces=_STAFF_SURFACES,
        url_path="department-done",
        summary=_("Report a department's part done"),
    ),
    Transition(
        # Not a status change: offered only while the request has no building.
        name="set_building",
        label=_("Set the building"),
        verb=_("located"),
        sources=tuple(Status.values),
        target=None,
        who=(Who.STAFF,),
        event=EventKind.LOCATED,
        service="request_set_building",
        form="building",
        arguments=("building",),
        surfaces=frozenset({Surface.ADMIN}),
        refusals=(_HAS_BUILDING,),
    ),
    Transition(
        name="close_unrated",
        label=_("Close unrated"),
        verb=_("closed"),
        sources=(Status.RESOLVED,),
        target=Status.CLOSED,
        who=(Who.STAFF, Who.SYSTEM),
        event=EventKind.CLOSED,
        service="request_close_unrated",
        refusals=(_RATING_TIME_LEFT,),
        surfaces=frozenset({Surface.API}),
        url_path="close-unrated",
        summary=_("Close a resolved request left unrated for 7 days"),
    ),
    # 延期 and 挂起: asked by whoever handles the request, decided by the level above.
    Transition(
        name="extend",
        label=_("Ask for more time (延期)"),
        verb=_("extended"),
        sources=_HANDLING,
        target=None,  # the deadline moves once the level above approves
        who=(Who.ASSIGNEE, Who.HANDLER, Who.DEPARTMENT),
        event=EventKind.EXTENSION_ASKED,
        service="request_extension_ask",
        form="extension",
        arguments=("working_days", "reason"),
        surfaces=_ALL_SURFACES,
        sources_by_who={Who.ASSIGNEE: (Status.TAKEN,)},
        refusals=(_SUSPENDED, _CHANGE_WAITING),
        url_path="extend",
        summary=_("Ask for more working days (延期), with the reason; the level above decides"),
        done_message=_("Your application for more time went to the level above for approval."),
    ),
    Transition(
        name="suspend",
        label=_("Ask to suspend (挂起)"),
        verb=_("suspended"),
        sources=_HANDLING,
        target=None,  # the clock stops once the level above approves
        who=(Who.ASSIGNEE, Who.HANDLER, Who.DEPARTMENT),
        event=EventKind.SUSPENSION_ASKED,
        service="request_suspension_ask",
        form="suspension",
        arguments=("reason",),
        surfaces=_ALL_SURFACES,
        sources_by_who={Who.ASSIGNEE: (Status.TAKEN,)},
        refusals=(_SUSPENDED, _CHANGE_WAITING),
        summary=_(
            "Ask to suspend (挂起) while waiting for parts or for the resident; the level "
            "above decides"
        ),
        done_message=_("Your application to suspend went to the level above for approval."),
    ),
    Transition(
        name="approve_change",
        label=_("Approve the extension or suspension"),
        verb=_("decided on"),
        sources=_HANDLING,
        target=None,
        who=(Who.APPROVER,),
        event=EventKind.EXTENDED,  # or SUSPENDED, as the application asks
        service="request_change_approve",
        form="decision",
        arguments=("note",),
        surfaces=_STAFF_SURFACES,
        url_path="approve-change",
        summary=_("Approve the pending extension or suspension (the level above)"),
    ),
    Transition(
        name="refuse_change",
        label=_("Refuse the extension or suspension"),
        verb=_("decided on"),
        sources=_HANDLING,
        target=None,
        who=(Who.APPROVER,),
        event=EventKind.CHANGE_REFUSED,
        service="request_change_refuse",
        form="decision",
        arguments=("note",),
        surfaces=_STAFF_SURFACES,
        url_path="refuse-change",
        summary=_("Refuse the pending extension or suspension, saying why (the level above)"),
    ),
    Transition(
        name="resume",
        label=_("Resume handling"),
        verb=_("resumed"),
        sources=_HANDLING,
        target=None,  # the deadline moves by the paused span
        who=(Who.ASSIGNEE, Who.HANDLER),
        event=EventKind.RESUMED,
        service="request_resume",
        form="note",
        arguments=("note",),
        surfaces=_ALL_SURFACES,
        refusals=(_NOT_SUSPENDED,),
        one_click=True,
        summary=_("End a suspension: the deadline moves by the time it was paused"),
        done_message=_("Handling resumed: the deadline moved by the time it was paused."),
    ),
    # The resident's, on the tracking page and the "me too" box.
    Transition(
        name="rate",
        label=_("Rate"),
        verb=_("rated"),
        sources=(Status.RESOLVED,),
        target=None,  # closed when satisfied, reopened one level up when not
        who=(Who.RESIDENT,),
        event=EventKind.RATED,
        service="request_rate",
        form="rating",
        arguments=("rating", "comment"),
    ),
    # 回访: staff of the area call the resident once the request is resolved; 不满意 reopens it
    # as the resident's rating does (the "reopen" row below).
    Transition(
        name="callback",
        label=_("Call back (回访)"),
        verb=_("called back"),
        sources=(Status.RESOLVED,),
        target=None,  # reopened one level up when the resident is not satisfied
        who=(Who.STAFF,),
        event=EventKind.CALLED_BACK,
        service="request_callback",
        form="callback",
        arguments=("reached", "satisfaction", "note"),
        surfaces=frozenset({Surface.ADMIN}),
    ),
    # Run by `rate` and `callback` when the resident is not satisfied (services._reopen).
    Transition(
        name="reopen",
        label=_("Reopen"),
        verb=_("reopened"),
        sources=(Status.RESOLVED,),
        target=Status.ACCEPTED,
        who=(Who.SYSTEM,),
        event=EventKind.REOPENED,
        service="_reopen",
    ),
    Transition(
        name="support",
        label=_("Me too"),
        verb=_("supported"),
        sources=tuple(OPEN_STATUSES),
        target=None,
        who=(Who.RESIDENT,),
        event=EventKind.SUPPORTED,
        service="request_support",
        form="phone",
        arguments=("phone",),
    ),
]

TRANSITIONS: dict[str, Transition] = {row.name: row for row in _ROWS}


def transitions_on(surface: Surface) -> list[Transition]:
    """The transitions a surface offers, in the table's order."""
    return [t for t in TRANSITIONS.values() if surface in t.surfaces]
