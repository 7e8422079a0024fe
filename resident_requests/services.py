"""The request workflow: the only code that changes a request's status or level.

群众点单、社区派单、党员接单: submitted → accepted → dispatched → taken → resolved → closed, with
rejection, merging, declining, and escalation grid → community → street → departments
(街社吹哨、部门报到). Every transition takes the actor as a keyword argument (None: the resident
on a public page, or the system for deadlines), locks the request row, checks the actor's scope
and the current state, writes a RequestEvent and hands it to its message rules (messages.py,
which write the notifications outbox's rows) in the same transaction. Views, admin actions,
the API and Celery tasks call these functions; the deadline rounds are in deadlines.py.
"""

import datetime
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError, IllegalTransition, OutOfScope
from core.models import DeadlineBasis
from core.privacy import redact_text, scrub_phones
from core.rows import insert_row
from core.validators import validate_mainland_mobile
from core.workdays import deadline_add, hours_between
from grids import selectors as grid_selectors
from grids.models import Building, Grid
from notifications import services as notification_services
from organization.models import Department, OrgUnit, Person, StaffRole
from organization.selectors import department_ids_of, scopes_covering, subtree_q

from . import messages as request_messages
from . import selectors
from .models import (
    FINAL_STATUSES,
    MAX_PHOTOS_PER_STAGE,
    OPEN_STATUSES,
    SATISFIED_RATINGS,
    ActorRole,
    Category,
    ChangeKind,
    ChangeStatus,
    Channel,
    DeadlineChange,
    EventKind,
    HandlingLevel,
    PhoneVerification,
    PhotoStage,
    Rating,
    RatingSource,
    RequestDepartment,
    RequestEvent,
    RequestPhoto,
    RequestRating,
    RequestSupporter,
    RequestType,
    ResidentRequest,
    Status,
    next_level,
)
from .photos import CleanPhoto
from .selectors import unit_of_level
from .transitions import TRANSITIONS

# Hours a department has to report in (报到) once the street blows the whistle.
DEPARTMENT_ACKNOWLEDGE_HOURS = 24

# --- Helpers ------------------------------------------------------------------------------------


def _lock(request: ResidentRequest) -> ResidentRequest:
    """The request's row, locked until the transaction ends, with what the checks need."""
    return (
        ResidentRequest.objects.select_for_update(of=("self",))
        .select_related("grid__unit", "grid__community", "category")
        .get(pk=request.pk)
    )


# Who may act (the scope, the handling level, the assignee) is decided by selectors: the same
# checks show the surfaces' buttons (transitions_available) and guard the services here.
_staff_role = selectors.request_staff_role
_staff_at_level = selectors.request_handler_role


def _allowed(actor, request: ResidentRequest, name: str) -> str:
    """The transitions table's check of `name` (who, from which status, refusals) for the
    locked request: the role its event records."""
    return selectors.transition_role(actor, request, name)


def _surname(actor) -> str:
    if actor is None:
        return ""
    person = Person.objects.filter(user_id=actor.pk).values_list("name", flat=True).first()
    name = person or actor.last_name or actor.first_name
    return name[:1] if name else ""


def _require_status(request: ResidentRequest, name: str) -> None:
    """IllegalTransition unless the request is in a status transition `name` starts from
    (transitions.TRANSITIONS)."""
    selectors.transition_status_check(request, name)


def _require_text(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ApplicationError(message)
    if len(text) > 2000:
        raise ApplicationError(_("Keep the note under 2,000 characters."))
    return text


def _save(request: ResidentRequest, fields: Iterable[str]) -> None:
    fields = list(fields)
    try:
        # Field checks only: the row exists and its unique columns do not change here.
        request.full_clean(
            exclude=[
                "building",
                "grid",
                "category",
                "merged_into",
                "assignee",
                "assignee_team",
                "created_by",
            ],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), extra=exc.message_dict) from exc
    request.save(update_fields=[*fields, "updated_at"])


def _record(
    request: ResidentRequest,
    *,
    kind: str,
    actor,
    actor_role: str,
    from_status: str = "",
    from_level: str = "",
    public_note: str = "",
    internal_note: str = "",
    department: Department | None = None,
    assignee: Person | None = None,
    deadline: datetime.datetime | None = None,
) -> RequestEvent:
    event = RequestEvent(
        request=request,
        kind=kind,
        actor=actor,
        actor_role=actor_role,
        actor_surname=_surname(actor),
        from_status=from_status,
        to_status=request.status,
        from_level=from_level,
        to_level=request.level,
        public_note=public_note,
        internal_note=internal_note,
        department=department,
        assignee=assignee,
        deadline=deadline,
    )
    insert_row(event)  # its INSERT compiled once: every transition writes one
    request_messages.notify_request_event(event=event)
    return event


def _save_photos(
    request: ResidentRequest,
    photos: Sequence[CleanPhoto],
    stage: str,
    *,
    existing: int | None = None,
) -> None:
    """Store the photos of one stage, at most MAX_PHOTOS_PER_STAGE in all. `existing`: how many
    the request has already at this stage, when the caller knows (0 for a request just made)."""
    if not photos:
        return
    if existing is None:
        existing = request.photos.filter(stage=stage).count()
    if existing + len(photos) > MAX_PHOTOS_PER_STAGE:
        raise ApplicationError(_("Send at most 3 photos."))
    for photo in photos:
        item = RequestPhoto(request=request, stage=stage, width=photo.width, height=photo.height)
        item.image.save(photo.content.name, photo.content, save=False)
        item.save()


def _due(category: Category, start: datetime.datetime, hours: int) -> datetime.datetime:
    """A deadline `hours` after `start`, in the category's clock or working hours."""
    return deadline_add(start, hours, category.deadline_basis)


def _fresh_deadlines(request: ResidentRequest, now: datetime.datetime) -> None:
    category = request.category
    if request.status == Status.SUBMITTED:
        request.accept_deadline = _due(category, now, category.hours_to_accept)
    request.resolve_deadline = _due(category, now, category.hours_to_resolve)
    request.overdue = False


# --- Submission ---------------------------------------------------------------------------------


def _place_without_building(
    *, lat: float | None, lng: float | None, address: str, community: OrgUnit | None
) -> tuple[Grid, bool, str]:
    """(grid, whether the community must triage it, the timeline's internal note) for a request
    whose building is not in the list. Refuses only what says nowhere, or a point outside the
    district."""
    if (lat is None) != (lng is None):
        raise ApplicationError(_("The map point is incomplete: put the pin on the map again."))
    if lat is not None and not grid_selectors.point_in_district(lat, lng):
        raise ApplicationError(
            _(
                "That map point is outside Jingkou district. Put the pin where the problem is, "
                "or write the address instead."
            )
        )
    if lat is None and not address and community is None:
        raise ApplicationError(
            _("Say where the problem is: write the address, or put a pin on the map.")
        )
    match = grid_selectors.place_for_request(lat=lat, lng=lng, address=address, community=community)
    if match is None:
        raise ApplicationError(
            _("Choose your community from the list, so that the right staff get your request.")
        )
    if match.how == grid_selectors.PlaceFound.BOUNDARY:
        note = _(
            "Building not in the list: the grid was found from the map point (inside its boundary)."
        )
    elif match.how == grid_selectors.PlaceFound.NEAR_BUILDING:
        note = _(
            "Building not in the list: the grid was found from the map point, %(metres)d m from "
            "%(building)s."
        ) % {"metres": round(match.metres or 0), "building": match.building.address}
    else:
        note = _(
            "Location needs checking: the building is not in the list and no map point fits a "
            "grid, so the community sorts it out. Set the building once the place is known."
        )
    return match.grid, match.how == grid_selectors.PlaceFound.COMMUNITY, note


def request_submit(
    *,
    actor=None,
    submitter_name: str,
    submitter_phone: str,
    building: Building | None,
    category: Category,
    description: str,
    address: str = "",
    lat: float | None = None,
    lng: float | None = None,
    community: OrgUnit | None = None,
    channel: str = Channel.WEB,
    photos: Sequence[CleanPhoto] = (),
    submission_token: str | None = None,
    request_type: str = RequestType.HELP,
    public_allowed: bool = False,
) -> ResidentRequest:
    """A new request (群众点单). `actor` is None for the public form, or the staff user who
    enters a walk-in, phone, patrol or reception-day request. A repeated `submission_token`
    (a double click, a resubmitted form) returns the request the first submit created.
    `public_allowed`: the resident agreed that it may be shown publicly (redacted).
    `building` None: the resident's building is not in the list; the place is the typed
    `address` and/or the map point (`lat`, `lng`), and `community` the one they chose, if any
    (see _place_without_building)."""
    # A repeated submission_token is caught by its unique index (IntegrityError below): no look-up
    # here, the public form has just made one for the double-click case.
    if category.parent_id is None or not category.active:
        raise ApplicationError(_("Choose a category and then the kind of problem within it."))
    if len(photos) > MAX_PHOTOS_PER_STAGE:
        raise ApplicationError(_("Send at most 3 photos."))
    now = timezone.now()
    level = category.default_level
    if level == HandlingLevel.DEPARTMENT:
        # Departments are called in by the street (吹哨), never directly by a resident.
        level = HandlingLevel.STREET
    address = (address or "").strip()
    place_note = ""
    if building is not None:
        # The building's grid as loaded (the public form loads it with its leader and units):
        # notifications read request.grid, its leader, unit and community right after.
        grid = building.grid
        address = address or building.address
    else:
        grid, triage, place_note = _place_without_building(
            lat=lat, lng=lng, address=address, community=community
        )
        if triage and level == HandlingLevel.GRID:
            level = HandlingLevel.COMMUNITY
    request = ResidentRequest(
        channel=channel,
        submitter_name=(submitter_name or "").strip(),
        submitter_phone=(submitter_phone or "").strip(),
        building=building,
        grid=grid,
        address=address,
        lat=lat,
        lng=lng,
        category=category,
        description=(description or "").strip(),
        request_type=request_type,
        public_allowed=bool(public_allowed),
        status=Status.SUBMITTED,
        level=level,
        accept_deadline=_due(category, now, category.hours_to_accept),
        submission_token=submission_token or None,
        created_by=actor,
    )
    role = ActorRole.RESIDENT
    if actor is not None:
        role = _staff_role(actor, request) if request.grid_id else ActorRole.ADMINISTRATOR
        if channel == Channel.WEB:
            request.channel = Channel.WALK_IN
    try:
        # Field checks only. The related rows are the instances given (loaded from the
        # database), the unique columns are made here or checked by their index
        # (submission_token, below), and the table's check constraints concern merging and
        # rating, which a new request has not reached: no query for any of these.
        request.full_clean(
            exclude=["code", "access_token", "building", "grid", "category"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), extra=exc.message_dict) from exc
    try:
        with transaction.atomic():
            insert_row(request)  # request.save(), with its INSERT compiled once
            _save_photos(request, photos, PhotoStage.SUBMISSION, existing=0)
            _record(
                request,
                kind=EventKind.SUBMITTED,
                actor=actor,
                actor_role=role,
                internal_note=place_note,
            )
    except IntegrityError:
        # Two submits with the same form token raced: the other one won; show its result.
        if submission_token:
            existing = ResidentRequest.objects.filter(submission_token=submission_token).first()
            if existing:
                return existing
        raise
    return request


def request_set_building(*, request: ResidentRequest, building: Building, actor) -> ResidentRequest:
    """Staff found the place of a request whose building was not in the list: the request
    gets the building and moves to the building's grid (its level stays). The actor must cover
    both the request's current grid and the building's."""
    with transaction.atomic():
        request = _lock(request)
        role = _allowed(actor, request, "set_building")
        building = (
            Building.objects.select_related("grid__unit", "grid__community", "grid__leader")
            .filter(pk=building.pk)
            .first()
        )
        if building is None:
            raise ApplicationError(_("That building no longer exists. Choose another."))
        if not actor.is_superuser and not scopes_covering(actor, building.grid.unit).exists():
            raise OutOfScope(
                _("%(building)s is outside your area: ask the staff of its community to set it.")
                % {"building": building.address}
            )
        from_grid = request.grid
        request.building = building
        request.grid = building.grid
        request.address = request.address or building.address
        _save(request, ["building", "grid", "address"])
        note = _("Building set to %(building)s.") % {"building": building.address}
        if from_grid.pk != building.grid_id:
            note += " " + _("Moved from grid %(from)s to grid %(to)s.") % {
                "from": from_grid.name,
                "to": building.grid.name,
            }
        _record(
            request,
            kind=EventKind.LOCATED,
            actor=actor,
            actor_role=role,
            from_status=request.status,
            from_level=request.level,
            internal_note=note,
        )
        return request


def request_support(*, request: ResidentRequest, phone: str, actor=None) -> ResidentRequest:
    """ "Me too": another resident has the same problem. They get its updates as well."""
    with transaction.atomic():
        request = _lock(request)
        _require_status(request, "support")
        phone = (phone or "").strip()
        supporter = RequestSupporter(request=request, phone=phone)
        try:
            supporter.full_clean(exclude=["request"])
        except ValidationError as exc:
            raise ApplicationError(" ".join(exc.messages), extra=exc.message_dict) from exc
        if phone == request.submitter_phone or request.supporters.filter(phone=phone).exists():
            raise ApplicationError(
                _("This phone number is already following this request: you will get its updates.")
            )
        supporter.save()
        ResidentRequest.objects.filter(pk=request.pk).update(
            supporters_count=F("supporters_count") + 1
        )
        request.refresh_from_db(fields=["supporters_count"])
        _record(request, kind=EventKind.SUPPORTED, actor=actor, actor_role=ActorRole.RESIDENT)
        return request


# --- Triage: accept, reject, merge --------------------------------------------------------------


def request_accept(*, request: ResidentRequest, actor, note: str = "") -> ResidentRequest:
    with transaction.atomic():
        request = _lock(request)
        role = _allowed(actor, request, "accept")
        now = timezone.now()
        request.status = Status.ACCEPTED
        request.accepted_at = now
        request.resolve_deadline = _due(request.category, now, request.category.hours_to_resolve)
        request.overdue = False
        _save(request, ["status", "accepted_at", "resolve_deadline", "overdue"])
        _record(
            request,
            kind=EventKind.ACCEPTED,
            actor=actor,
            actor_role=role,
            from_status=Status.SUBMITTED,
            public_note=(note or "").strip(),
        )
        return request


def request_reject(
    *, request: ResidentRequest, actor, reason: str, internal_note: str = ""
) -> ResidentRequest:
    """不予受理: the reason is shown to the resident."""
    with transaction.atomic():
        request = _lock(request)
        role = _allowed(actor, request, "reject")
        reason = _require_text(
            reason, _("Give the reason for rejecting: the resident will read it.")
        )
        request.status = Status.REJECTED
        request.reject_reason = reason
        request.closed_at = timezone.now()
        _save(request, ["status", "reject_reason", "closed_at"])
        _record(
            request,
            kind=EventKind.REJECTED,
            actor=actor,
            actor_role=role,
            from_status=Status.SUBMITTED,
            public_note=reason,
            internal_note=internal_note,
        )
        return request


def request_merge(
    *, request: ResidentRequest, into: ResidentRequest, actor, note: str = ""
) -> ResidentRequest:
    """A duplicate: its resident follows the other request from now on."""
    if request.pk == into.pk:
        raise IllegalTransition(_("A request cannot be merged into itself."))
    with transaction.atomic():
        # Lock both rows in a fixed order so two merges cannot deadlock.
        first, second = sorted([request, into], key=lambda r: r.pk)
        locked = {first.pk: _lock(first), second.pk: _lock(second)}
        request, into = locked[request.pk], locked[into.pk]
        role = _staff_at_level(actor, request)
        _staff_role(actor, into)
        _require_status(request, "merge")
        if into.status not in OPEN_STATUSES and into.status != Status.RESOLVED:
            raise IllegalTransition(
                _("Request %(code)s is %(status)s: merge into a request that is still open.")
                % {"code": into.code, "status": into.get_status_display()}
            )
        from_status = request.status
        request.status = Status.MERGED
        request.merged_into = into
        request.closed_at = timezone.now()
        _save(request, ["status", "merged_into", "closed_at"])
        # The people behind the duplicate follow the target from now on; the count grows by
        # those who did not follow it already (as "me too" counts each phone once).
        phones = {request.submitter_phone, *request.supporters.values_list("phone", flat=True)}
        phones -= {into.submitter_phone, *into.supporters.values_list("phone", flat=True)}
        RequestSupporter.objects.bulk_create(
            [RequestSupporter(request=into, phone=phone) for phone in sorted(phones)]
        )
        ResidentRequest.objects.filter(pk=into.pk).update(
            supporters_count=F("supporters_count") + len(phones)
        )
        _record(
            request,
            kind=EventKind.MERGED,
            actor=actor,
            actor_role=role,
            from_status=from_status,
            public_note=note
            or _("The same problem was already reported; it is handled together with it."),
            internal_note=f"→ {into.code}",
        )
        return request


def request_merge_by_code(
    *, request: ResidentRequest, into_code: str, actor, note: str = ""
) -> ResidentRequest:
    """request_merge into the request with tracking code `into_code`, which the actor must be
    able to see: every surface's "merge into" goes through here."""
    into = selectors.request_for_code(actor, into_code)
    if into is None:
        raise ApplicationError(_("No request with that code in your area. Check the code."))
    return request_merge(request=request, into=into, actor=actor, note=note)


# --- 社区派单、党员接单 ---------------------------------------------------------------------------


def members_for_dispatch(request: ResidentRequest):
    """Party members who can take the request: members of the unit now handling it (the grid's
    branch for a grid-level request, with its building groups and households)."""
    from organization.models import PARTY_MEMBER_STATUSES

    return (
        Person.objects.filter(
            subtree_q(unit_of_level(request), "membership_unit"),
            political_status__in=PARTY_MEMBER_STATUSES,
        )
        .select_related("membership_unit")
        .order_by("name")
    )


def request_dispatch(
    *,
    request: ResidentRequest,
    actor,
    assignee: Person | None = None,
    team=None,
    note: str = "",
) -> ResidentRequest:
    """社区派单: give an accepted request to a party member of the grid, or to one of its
    volunteer teams (party_work.VolunteerTeam). A team's leader takes the order for the team:
    it becomes the assignee, so taking, resolving, deadlines and notices work as for a member."""
    with transaction.atomic():
        if (assignee is None) == (team is None):
            raise ApplicationError(
                _("Dispatch request %(code)s either to a party member or to a volunteer team.")
                % {"code": request.code}
            )
        request = _lock(request)
        role = _allowed(actor, request, "dispatch")
        if team is not None:
            from .teams import teams_for_request

            if not teams_for_request(request).filter(pk=team.pk).exists():
                # Named by neither team nor person: the caller may not see them (issue 19.4a).
                raise OutOfScope(
                    _(
                        "The chosen team is not an active volunteer team of the unit handling request %(code)s."
                    )
                    % {"code": request.code}
                )
            if team.leader_id is None:
                raise ApplicationError(
                    _("%(team)s has no leader to take the order: choose its leader first.")
                    % {"team": team.name}
                )
            assignee = team.leader
        elif not members_for_dispatch(request).filter(pk=assignee.pk).exists():
            raise OutOfScope(
                _("The chosen person is not a party member of the unit handling request %(code)s.")
                % {"code": request.code}
            )
        request.status = Status.DISPATCHED
        request.assignee = assignee
        request.assignee_team = team
        request.dispatched_at = timezone.now()
        _save(request, ["status", "assignee", "assignee_team", "dispatched_at"])
        note = (note or "").strip()
        if team is not None:
            team_note = _("To the volunteer team %(team)s (led by %(leader)s).") % {
                "team": team.name,
                "leader": assignee.name,
            }
            note = f"{team_note}\n{note}" if note else team_note
        _record(
            request,
            kind=EventKind.DISPATCHED,
            actor=actor,
            actor_role=role,
            from_status=Status.ACCEPTED,
            internal_note=note,
            assignee=assignee,
        )
        return request


def request_take(*, request: ResidentRequest, actor, note: str = "") -> ResidentRequest:
    """党员接单: the member dispatched to takes the order."""
    with transaction.atomic():
        request = _lock(request)
        _allowed(actor, request, "take")
        request.status = Status.TAKEN
        request.taken_at = timezone.now()
        _save(request, ["status", "taken_at"])
        _record(
            request,
            kind=EventKind.TAKEN,
            actor=actor,
            actor_role=ActorRole.PARTY_MEMBER,
            from_status=Status.DISPATCHED,
            public_note=(note or "").strip(),
            assignee=request.assignee,
        )
        return request


def request_decline(*, request: ResidentRequest, actor, reason: str) -> ResidentRequest:
    """The member cannot take it: back to accepted, for another dispatch."""
    with transaction.atomic():
        request = _lock(request)
        _allowed(actor, request, "decline")
        reason = _require_text(
            reason, _("Say why you cannot take it, so it can be dispatched again.")
        )
        from_status, assignee = request.status, request.assignee
        request.status = Status.ACCEPTED
        request.assignee = None
        request.assignee_team = None
        request.dispatched_at = None
        request.taken_at = None
        _save(request, ["status", "assignee", "assignee_team", "dispatched_at", "taken_at"])
        _record(
            request,
            kind=EventKind.DECLINED,
            actor=actor,
            actor_role=ActorRole.PARTY_MEMBER,
            from_status=from_status,
            internal_note=reason,
            assignee=assignee,
        )
        return request


def _mark_resolved(request: ResidentRequest, note: str) -> None:
    request.status = Status.RESOLVED
    request.resolution_note = note
    request.resolved_at = timezone.now()
    request.overdue = False
    _save(request, ["status", "resolution_note", "resolved_at", "overdue"])


def request_resolve(
    *, request: ResidentRequest, actor, note: str, photos: Sequence[CleanPhoto] = ()
) -> ResidentRequest:
    """已办结: what was done (shown to the resident), with up to 3 photos.

    The member who took it resolves it; staff at the handling level may resolve an accepted,
    dispatched or taken request themselves. Department-level requests resolve when every
    department has reported its part done (department_report_done)."""
    with transaction.atomic():
        request = _lock(request)
        role = _allowed(actor, request, "resolve")
        note = _require_text(note, _("Say what was done: the resident will read it."))
        from_status = request.status
        _mark_resolved(request, note)
        _save_photos(request, photos, PhotoStage.RESOLUTION)
        _record(
            request,
            kind=EventKind.RESOLVED,
            actor=actor,
            actor_role=role,
            from_status=from_status,
            public_note=note,
        )
        return request


# --- 分级响应: escalation and departments ----------------------------------------------------------


def _call_departments(
    request: ResidentRequest, departments: Sequence[Department], actor, role: str, now
) -> list[Department]:
    already = set(request.department_links.values_list("department_id", flat=True))
    added = []
    for department in departments:
        if department.pk in already:
            continue
        RequestDepartment.objects.create(
            request=request,
            department=department,
            acknowledge_deadline=_due(request.category, now, DEPARTMENT_ACKNOWLEDGE_HOURS),
            done_deadline=request.resolve_deadline
            or _due(request.category, now, request.category.hours_to_resolve),
        )
        _record(
            request,
            kind=EventKind.DEPARTMENT_CALLED,
            actor=actor,
            actor_role=role,
            department=department,
            public_note=_("%(department)s was asked to take part.") % {"department": department},
        )
        added.append(department)
    return added


def request_escalate(
    *,
    request: ResidentRequest,
    actor,
    note: str = "",
    internal_note: str = "",
    departments: Sequence[Department] = (),
) -> ResidentRequest:
    """Hand an open request one level up: grid → community → street (吹哨) → departments (报到).

    `actor=None` is the system (a deadline passed). Escalating to the departments calls in
    `departments`, or the category's default department. A request already with the
    departments can call in more."""
    with transaction.atomic():
        request = _lock(request)
        role = _allowed(actor, request, "escalate")
        if actor is not None:
            note = _require_text(
                note, TRANSITIONS["escalate"].note_required % {"code": request.code}
            )
        now = timezone.now()
        target = next_level(request.level)
        if target == HandlingLevel.DEPARTMENT or request.level == HandlingLevel.DEPARTMENT:
            departments = list(departments)
            if not departments and request.category.default_department_id:
                departments = [request.category.default_department]
            if not departments:
                raise ApplicationError(
                    _("Choose the departments that must report (报到) on request %(code)s.")
                    % {"code": request.code}
                )
        if target is None:
            if not departments:
                raise IllegalTransition(
                    _("Request %(code)s is already with the departments, the top of the chain.")
                    % {"code": request.code}
                )
            added = _call_departments(request, departments, actor, role, now)
            if not added:
                raise IllegalTransition(_("These departments are already taking part."))
            return request
        from_status, from_level = request.status, request.level
        request.level = target
        request.escalated_at = now
        if request.status in (Status.DISPATCHED, Status.TAKEN):
            # The member's order ends here: the level above now handles it.
            request.status = Status.ACCEPTED
            request.assignee = None
            request.assignee_team = None
            request.dispatched_at = None
            request.taken_at = None
        _fresh_deadlines(request, now)
        _save(
            request,
            [
                "level",
                "escalated_at",
                "status",
                "assignee",
                "assignee_team",
                "dispatched_at",
                "taken_at",
                "accept_deadline",
                "resolve_deadline",
                "overdue",
            ],
        )
        _record(
            request,
            kind=EventKind.ESCALATED,
            actor=actor,
            actor_role=role,
            from_status=from_status,
            from_level=from_level,
            public_note=(note or "").strip()
            or _("Handed up to the %(level)s level.") % {"level": request.get_level_display()},
            internal_note=internal_note,
        )
        if target == HandlingLevel.DEPARTMENT:
            _call_departments(request, departments, actor, role, now)
        return request


def _department_link(request: ResidentRequest, department: Department, actor) -> RequestDepartment:
    if actor is None:
        raise OutOfScope(_("Sign in to act for a department."))
    if not actor.is_superuser and department.pk not in department_ids_of(actor):
        raise OutOfScope(_("You do not act for %(department)s.") % {"department": department})
    link = (
        RequestDepartment.objects.select_for_update()
        .filter(request=request, department=department)
        .first()
    )
    if link is None:
        raise OutOfScope(
            _("%(department)s was not called in on request %(code)s.")
            % {"department": department, "code": request.code}
        )
    return link


def department_acknowledge(
    *, request: ResidentRequest, department: Department, actor, note: str = ""
) -> RequestDepartment:
    """部门报到: the department confirms it takes its part."""
    with transaction.atomic():
        request = _lock(request)
        link = _department_link(request, department, actor)
        _require_status(request, "acknowledge")
        if link.acknowledged_at:
            raise IllegalTransition(
                _("%(department)s has already reported in on request %(code)s.")
                % {"department": department, "code": request.code}
            )
        link.acknowledged_at = timezone.now()
        link.acknowledged_by = actor
        link.save(update_fields=["acknowledged_at", "acknowledged_by"])
        _record(
            request,
            kind=EventKind.DEPARTMENT_ACKNOWLEDGED,
            actor=actor,
            actor_role=StaffRole.DEPARTMENT_STAFF,
            department=department,
            public_note=(note or "").strip()
            or _("%(department)s reported in.") % {"department": department},
        )
        return link


def department_report_done(
    *, request: ResidentRequest, department: Department, actor, note: str
) -> RequestDepartment:
    """The department has done its part. When every department has, the request is resolved
    (协同处置)."""
    with transaction.atomic():
        request = _lock(request)
        link = _department_link(request, department, actor)
        _require_status(request, "department_done")
        if link.reported_done_at:
            raise IllegalTransition(
                _("%(department)s has already reported its part done on request %(code)s.")
                % {"department": department, "code": request.code}
            )
        note = _require_text(note, _("Say what your department did: the resident will read it."))
        now = timezone.now()
        if not link.acknowledged_at:
            link.acknowledged_at = now
            link.acknowledged_by = actor
        link.reported_done_at = now
        link.reported_done_by = actor
        link.done_note = note
        link.save()
        _record(
            request,
            kind=EventKind.DEPARTMENT_DONE,
            actor=actor,
            actor_role=StaffRole.DEPARTMENT_STAFF,
            department=department,
            public_note=note,
        )
        if not request.department_links.filter(reported_done_at__isnull=True).exists():
            from_status = request.status
            notes = [
                f"{item.department.name}：{item.done_note}"
                for item in request.department_links.select_related("department").order_by("pk")
            ]
            _mark_resolved(request, "\n".join(notes)[:2000])
            _record(
                request,
                kind=EventKind.RESOLVED,
                actor=actor,
                actor_role=StaffRole.DEPARTMENT_STAFF,
                from_status=from_status,
                public_note=_("Every department has reported its part done."),
            )
        return link


# --- 延期 and 挂起: extensions and suspensions of the resolve deadline ----------------------------

DEFAULT_EXTENSIONS_MAX = 2
DEFAULT_EXTENSION_WORKING_DAYS_MAX = 5
REASON_MAX_LENGTH = 500


def extension_limits() -> tuple[int, int]:
    """(approved extensions a request may have, working days each): settings.REQUEST_DEADLINES."""
    limits = getattr(settings, "REQUEST_DEADLINES", {}) or {}
    return (
        int(limits.get("extensions_max", DEFAULT_EXTENSIONS_MAX)),
        int(limits.get("extension_working_days_max", DEFAULT_EXTENSION_WORKING_DAYS_MAX)),
    )


def _extensions_left(request: ResidentRequest) -> int:
    most, _days = extension_limits()
    done = DeadlineChange.objects.filter(
        request_id=request.pk, kind=ChangeKind.EXTENSION, status=ChangeStatus.APPROVED
    ).count()
    return most - done


def _no_more_extensions(request: ResidentRequest) -> ApplicationError:
    most, _days = extension_limits()
    return ApplicationError(
        _(
            "Request %(code)s has had its %(count)s extensions, the most a request may have: "
            "escalate it, or suspend it if it waits for something."
        )
        % {"code": request.code, "count": most}
    )


def _approver_rank(actor, request: ResidentRequest, role: str) -> int:
    """The level above the applicant's: a party member's or a department's application is
    decided by the staff of the request's level (the grid leader for a grid's member; the
    street for departments), staff's by the level above their own."""
    level = selectors.level_rank(request.level)
    top = selectors.actor_rank(actor, request) if actor is not None else -1
    if role in (ActorRole.PARTY_MEMBER, StaffRole.DEPARTMENT_STAFF):
        return level
    if role == ActorRole.ADMINISTRATOR:
        return min(level + 1, 3)
    return min(max(level, top) + 1, 3)


def _change_ask(
    *, request: ResidentRequest, actor, name: str, kind: str, reason: str, working_days=None
) -> ResidentRequest:
    with transaction.atomic():
        request = _lock(request)
        role = _allowed(actor, request, name)
        reason = (reason or "").strip()
        if not reason:
            raise ApplicationError(
                _(
                    "Give the reason (waiting for parts, for the resident…): the level above reads it."
                )
            )
        if len(reason) > REASON_MAX_LENGTH:
            raise ApplicationError(_("Keep the reason under 500 characters."))
        internal = reason
        if kind == ChangeKind.EXTENSION:
            _most, days_max = extension_limits()
            try:
                working_days = int(working_days)
            except (TypeError, ValueError):
                working_days = 0
            if not 1 <= working_days <= days_max:
                raise ApplicationError(
                    _("Ask for 1 to %(max)s working days: that is the most one extension gives.")
                    % {"max": days_max}
                )
            if _extensions_left(request) <= 0:
                raise _no_more_extensions(request)
            internal = _("%(days)s working days: %(reason)s") % {
                "days": working_days,
                "reason": reason,
            }
        else:
            working_days = None
        waiting = (
            DeadlineChange.objects.select_for_update()
            .filter(request_id=request.pk, status=ChangeStatus.PENDING)
            .first()
        )
        if waiting is not None:
            if selectors.change_applies(waiting, request):
                raise ApplicationError(
                    _(
                        "Request %(code)s already has an application (%(kind)s) waiting for a "
                        "decision: wait for it."
                    )
                    % {"code": request.code, "kind": waiting.get_kind_display()}
                )
            waiting.status = ChangeStatus.LAPSED
            waiting.save(update_fields=["status"])
        change = DeadlineChange(
            request=request,
            kind=kind,
            reason=reason,
            working_days=working_days,
            level=request.level,
            request_status=request.status,
            approver_rank=_approver_rank(actor, request, role),
            asked_by=actor,
            asked_role=role,
        )
        try:
            change.full_clean(exclude=["request", "asked_by"], validate_constraints=False)
        except ValidationError as exc:
            raise ApplicationError(" ".join(exc.messages), extra=exc.message_dict) from exc
        change.save()
        _record(
            request,
            kind=TRANSITIONS[name].event,
            actor=actor,
            actor_role=role,
            from_status=request.status,
            from_level=request.level,
            internal_note=internal,
        )
        return request


def request_extension_ask(
    *, request: ResidentRequest, actor, working_days, reason: str
) -> ResidentRequest:
    """延期: the handler asks for `working_days` more working days, saying why; the level above
    decides (request_change_approve). At most settings.REQUEST_DEADLINES["extensions_max"]
    approved extensions, each of at most ["extension_working_days_max"] working days."""
    return _change_ask(
        request=request,
        actor=actor,
        name="extend",
        kind=ChangeKind.EXTENSION,
        reason=reason,
        working_days=working_days,
    )


def request_suspension_ask(*, request: ResidentRequest, actor, reason: str) -> ResidentRequest:
    """挂起: the handler asks to pause the deadline's clock (waiting for parts, for the
    resident), saying why; the level above decides."""
    return _change_ask(
        request=request, actor=actor, name="suspend", kind=ChangeKind.SUSPENSION, reason=reason
    )


def _pending_for_decision(actor, request: ResidentRequest, name: str):
    facts = selectors.ActorOnRequest(actor, request)
    role = selectors.transition_role(actor, request, name, facts=facts)
    change = DeadlineChange.objects.select_for_update().get(pk=facts.pending_change.pk)
    return role, change


def _decided(change: DeadlineChange, actor, status: str, note: str, now) -> None:
    change.status = status
    change.decided_by = actor
    change.decided_at = now
    change.decision_note = note
    change.save()


def _move_department_deadlines(request: ResidentRequest, move) -> None:
    """The departments still at work get the request's deadline moved the same way."""
    links = request.department_links.filter(reported_done_at__isnull=True)
    for link in links.select_for_update():
        link.done_deadline = move(link.done_deadline)
        link.save(update_fields=["done_deadline"])


def request_change_approve(*, request: ResidentRequest, actor, note: str = "") -> ResidentRequest:
    """The level above approves the pending application: an extension moves the resolve
    deadline by its working days (from the deadline, or from now if that has passed); a
    suspension stops the clock until request_resume. The resident is told either way."""
    with transaction.atomic():
        request = _lock(request)
        role, change = _pending_for_decision(actor, request, "approve_change")
        note = (note or "").strip()[:2000]
        now = timezone.now()
        public_reason = redact_text(change.reason, names=[request.submitter_name])
        if change.kind == ChangeKind.EXTENSION:
            if _extensions_left(request) <= 0:
                raise _no_more_extensions(request)
            previous = request.resolve_deadline
            start = max(previous, now) if previous else now
            new = deadline_add(start, change.working_days * 24, DeadlineBasis.WORKING)
            request.resolve_deadline = new
            request.overdue = request.overdue and new <= now
            _save(request, ["resolve_deadline", "overdue"])
            _move_department_deadlines(request, lambda due: max(due, new))
            change.previous_deadline, change.new_deadline = previous, new
            _decided(change, actor, ChangeStatus.APPROVED, note, now)
            _record(
                request,
                kind=EventKind.EXTENDED,
                actor=actor,
                actor_role=role,
                from_status=request.status,
                from_level=request.level,
                public_note=public_reason,
                internal_note=note,
                deadline=new,
            )
            return request
        request.suspended_since = now
        _save(request, ["suspended_since"])
        _decided(change, actor, ChangeStatus.APPROVED, note, now)
        _record(
            request,
            kind=EventKind.SUSPENDED,
            actor=actor,
            actor_role=role,
            from_status=request.status,
            from_level=request.level,
            public_note=public_reason,
            internal_note=note,
        )
        return request


def request_change_refuse(*, request: ResidentRequest, actor, note: str) -> ResidentRequest:
    """The level above refuses the pending application, saying why (staff read it)."""
    with transaction.atomic():
        request = _lock(request)
        role, change = _pending_for_decision(actor, request, "refuse_change")
        note = _require_text(note, _("Say why you refuse: the applicant will read it."))
        _decided(change, actor, ChangeStatus.REFUSED, note, timezone.now())
        _record(
            request,
            kind=EventKind.CHANGE_REFUSED,
            actor=actor,
            actor_role=role,
            from_status=request.status,
            from_level=request.level,
            internal_note=f"{change.get_kind_display()}: {note}",
        )
        return request


def request_resume(*, request: ResidentRequest, actor, note: str = "") -> ResidentRequest:
    """End a suspension (the handler, or the level above): the resolve deadline, and the
    deadlines of departments still at work, move by the paused span, counted in the
    category's clock or working hours (core.workdays)."""
    with transaction.atomic():
        request = _lock(request)
        role = _allowed(actor, request, "resume")
        now = timezone.now()
        basis = request.category.deadline_basis
        paused = hours_between(request.suspended_since, now, basis)

        def move(due):
            return deadline_add(due, paused, basis) if due else due

        request.resolve_deadline = move(request.resolve_deadline)
        request.suspended_since = None
        if request.resolve_deadline and request.resolve_deadline > now:
            request.overdue = False
        _save(request, ["resolve_deadline", "suspended_since", "overdue"])
        _move_department_deadlines(request, move)
        DeadlineChange.objects.filter(
            request_id=request.pk,
            kind=ChangeKind.SUSPENSION,
            status=ChangeStatus.APPROVED,
            resumed_at__isnull=True,
        ).update(resumed_at=now)
        _record(
            request,
            kind=EventKind.RESUMED,
            actor=actor,
            actor_role=role,
            from_status=request.status,
            from_level=request.level,
            internal_note=(note or "").strip()[:2000],
            deadline=request.resolve_deadline,
        )
        return request


# --- The resident's rating, closing -------------------------------------------------------------


def request_rate(
    *, request: ResidentRequest, rating: str, comment: str = "", actor=None
) -> ResidentRequest:
    """The resident rates the result. 满意/基本满意 close it; 不满意 reopens it one level up."""
    with transaction.atomic():
        request = _lock(request)
        _require_status(request, "rate")
        if rating not in Rating.values:
            raise ApplicationError(_("Choose one of the ratings."))
        comment = (comment or "").strip()
        if len(comment) > 500:
            raise ApplicationError(_("Keep the comment under 500 characters."))
        now = timezone.now()
        request.rating = rating
        request.rating_comment = comment
        request.rated_at = now
        request.status = Status.CLOSED if rating != Rating.DISSATISFIED else Status.RESOLVED
        if request.status == Status.CLOSED:
            request.closed_at = now
        _rating_record(request, rating, RatingSource.RESIDENT, now)
        _save(
            request,
            [
                "rating",
                "rating_comment",
                "rated_at",
                "status",
                "closed_at",
                "rated_count",
                "satisfied_count",
            ],
        )
        _record(
            request,
            kind=EventKind.RATED,
            actor=actor,
            actor_role=ActorRole.RESIDENT,
            from_status=Status.RESOLVED,
            public_note=f"{request.get_rating_display()}" + (f"：{comment}" if comment else ""),
        )
        if rating == Rating.DISSATISFIED:
            _reopen(request, now)
        return request


def _rating_record(request: ResidentRequest, rating: str, source: str, now) -> None:
    """Keep `rating` as the current resolution's (RequestRating) and the request's counters
    (the caller saves them). The resident's own rating stands once given; a call-back's gives
    way to the resident's and to a later call-back's, so the rating kept is the one the
    request acted on (a later 不满意 on the phone reopens it and counts as not satisfied)."""
    current = request.ratings.filter(resolution=request.reopened_count).first()
    if current is not None:
        if current.source == RatingSource.RESIDENT:
            return
        request.satisfied_count -= current.rating in SATISFIED_RATINGS
        current.rating, current.source, current.created_at = rating, source, now
        current.save(update_fields=["rating", "source", "created_at"])
    else:
        RequestRating.objects.create(
            request=request,
            resolution=request.reopened_count,
            rating=rating,
            source=source,
            created_at=now,
        )
        request.rated_count += 1
    request.satisfied_count += rating in SATISFIED_RATINGS


def request_callback(
    *, request: ResidentRequest, actor, reached: bool, satisfaction: str = "", note: str = ""
) -> ResidentRequest:
    """回访: staff of the area called the resident about a resolved request. Reached, what the
    resident said on the latest such call counts as their rating unless they rate themselves; 不满意 reopens the
    request one level up, as the resident's own rating does. The note stays internal."""
    with transaction.atomic():
        request = _lock(request)
        try:
            role = _allowed(actor, request, "callback")
        except IllegalTransition:
            if request.status not in OPEN_STATUSES:
                raise
            raise IllegalTransition(
                _("Request %(code)s is not resolved yet: call the resident back once it is.")
                % {"code": request.code}
            ) from None
        note = (note or "").strip()
        if len(note) > 2000:
            raise ApplicationError(_("Keep the note under 2,000 characters."))
        if not reached:
            satisfaction = ""
        elif satisfaction not in Rating.values:
            raise ApplicationError(
                _("Say how satisfied the resident is: choose one of the ratings.")
            )
        now = timezone.now()
        outcome = Rating(satisfaction).label if reached else _("Not reached.")
        if reached:
            _rating_record(request, satisfaction, RatingSource.CALLBACK, now)
            _save(request, ["rated_count", "satisfied_count"])
        _record(
            request,
            kind=EventKind.CALLED_BACK if reached else EventKind.CALLBACK_NOT_REACHED,
            actor=actor,
            actor_role=role,
            from_status=request.status,
            internal_note=f"{outcome}\n{note}".strip(),
        )
        if satisfaction == Rating.DISSATISFIED:
            _reopen(request, now)
        return request


def _reopen(request: ResidentRequest, now) -> None:
    """The resident is not satisfied (their rating, or a call-back): back to accepted, one
    level up (the table's "reopen")."""
    _require_status(request, "reopen")
    from_level = request.level
    target = next_level(request.level) or request.level
    request.status = Status.ACCEPTED
    request.level = target
    request.assignee = None
    request.assignee_team = None
    request.dispatched_at = None
    request.taken_at = None
    request.resolved_at = None
    request.escalated_at = now
    request.reopened_count += 1
    _fresh_deadlines(request, now)
    _save(
        request,
        [
            "status",
            "level",
            "assignee",
            "assignee_team",
            "dispatched_at",
            "taken_at",
            "resolved_at",
            "escalated_at",
            "reopened_count",
            "accept_deadline",
            "resolve_deadline",
            "overdue",
        ],
    )
    if target == HandlingLevel.DEPARTMENT:
        # Back with the departments: each reports its part again.
        request.department_links.update(reported_done_at=None, reported_done_by=None)
    _record(
        request,
        kind=EventKind.REOPENED,
        actor=None,
        actor_role=ActorRole.SYSTEM,
        from_status=Status.RESOLVED,
        from_level=from_level,
        public_note=_("Reopened and handed to the %(level)s level.")
        % {"level": request.get_level_display()},
    )


def request_close_unrated(*, request: ResidentRequest, actor=None) -> ResidentRequest:
    """Close a resolved request its resident has not rated within 7 days (the system's task)."""
    with transaction.atomic():
        request = _lock(request)
        role = _allowed(actor, request, "close_unrated")  # and resolved 7 days ago or more
        request.status = Status.CLOSED
        request.closed_at = timezone.now()
        _save(request, ["status", "closed_at"])
        _record(
            request,
            kind=EventKind.CLOSED,
            actor=actor,
            actor_role=role,
            from_status=Status.RESOLVED,
            public_note=_("Closed without a rating after 7 days."),
        )
        return request


def request_mark_overdue(*, request: ResidentRequest, actor=None) -> ResidentRequest:
    """Flag an open request whose deadline has passed (the system's task); idempotent."""
    with transaction.atomic():
        request = _lock(request)
        if request.overdue or request.status not in OPEN_STATUSES:
            return request
        now = timezone.now()
        due = request.resolve_deadline
        if request.status == Status.SUBMITTED and request.accept_deadline:
            due = min(d for d in [request.accept_deadline, due] if d)
        if due is None or due > now:
            raise IllegalTransition(
                _("Request %(code)s is not past its deadline.") % {"code": request.code}
            )
        request.overdue = True
        _save(request, ["overdue"])
        _record(
            request,
            kind=EventKind.OVERDUE,
            actor=actor,
            actor_role=ActorRole.SYSTEM,
            internal_note=_("Deadline %(due)s passed.")
            % {"due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")},
        )
        return request


def phone_disclosure_record(*, request: ResidentRequest, actor) -> None:
    """Record that `actor` was shown the resident's full phone number."""
    from .models import PhoneDisclosure

    PhoneDisclosure.objects.create(request=request, user=actor)


def photo_public_set(*, photo: RequestPhoto, actor, approved: bool) -> RequestPhoto:
    """The grid leader (or staff above, in scope) approves a photo for public display, or
    withdraws the approval. Public surfaces show approved photos only."""
    with transaction.atomic():
        request = _lock(photo.request)
        _staff_role(actor, request)
        photo = RequestPhoto.objects.select_for_update().get(pk=photo.pk, request=request)
        photo.public_approved = approved
        photo.approved_by = actor if approved else None
        photo.save(update_fields=["public_approved", "approved_by"])
        return photo


def request_public_map_set(*, request: ResidentRequest, actor, approved: bool) -> ResidentRequest:
    """Staff in scope show a request on the public map of problems (/problems/), or take it off.
    Only a request whose resident allowed public display can be shown; the map then shows its
    category, place, date, status and redacted text (selectors.problems_public)."""
    with transaction.atomic():
        request = _lock(request)
        _staff_role(actor, request)
        if approved and not request.public_allowed:
            raise ApplicationError(
                _(
                    "%(code)s: the resident did not allow public display, so it cannot be "
                    "shown on the public map."
                )
                % {"code": request.code}
            )
        if approved == (request.public_approved_at is not None):
            return request
        request.public_approved_at = timezone.now() if approved else None
        _save(request, ["public_approved_at"])
        return request


# --- The resident's own settings and "my requests" by phone -------------------------------------


def request_set_progress_sms(*, request: ResidentRequest, enabled: bool) -> ResidentRequest:
    """The resident turns progress messages (accepted, dispatched, escalated) off or on, on
    their tracking page. The receipt and the request to rate are sent either way."""
    with transaction.atomic():
        request = _lock(request)
        if request.progress_sms != bool(enabled):
            request.progress_sms = bool(enabled)
            _save(request, ["progress_sms"])
        return request


# A code by SMS to list one's requests: 6 digits, 5 minutes, 5 wrong tries.
PHONE_CODE_TTL = datetime.timedelta(minutes=5)
PHONE_CODE_TRIES = 5
# Rows older than this are deleted by the retention round (ops).
PHONE_CODE_KEEP = datetime.timedelta(days=1)


def _phone_code_hash(phone: str, code: str) -> str:
    """Keyed (HMAC with SECRET_KEY): a million codes cannot be tried against a stolen table."""
    message = f"phone-code:{phone}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _valid_phone(phone: str) -> str:
    phone = (phone or "").strip()
    try:
        validate_mainland_mobile(phone)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages)) from exc
    return phone


def phone_verification_start(*, phone: str) -> PhoneVerification:
    """Send a new 6-digit code to `phone`; earlier codes of the phone stop working.

    Whether or not the phone has any requests, the same happens: nobody learns from this who
    reported something. The caller rate-limits per phone and per address."""
    phone = _valid_phone(phone)
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        PhoneVerification.objects.filter(
            phone=phone, used_at__isnull=True, expires_at__gt=now
        ).update(expires_at=now)
        verification = PhoneVerification(
            phone=phone, code_hash=_phone_code_hash(phone, code), expires_at=now + PHONE_CODE_TTL
        )
        verification.full_clean()
        verification.save()
        request_messages.phone_code_send(
            phone=phone, code=code, cause=f"phone-code:{verification.pk}"
        )
    return verification


def phone_verification_check(*, phone: str, code: str) -> PhoneVerification:
    """The phone's latest code, if `code` is it: used up now. Otherwise ApplicationError, and a
    wrong code counts one of its PHONE_CODE_TRIES tries."""
    phone = _valid_phone(phone)
    code = (code or "").strip()
    now = timezone.now()
    with transaction.atomic():
        verification = (
            PhoneVerification.objects.select_for_update()
            .filter(phone=phone, used_at__isnull=True)
            .order_by("-created_at", "-id")
            .first()
        )
        if verification is None or verification.expires_at <= now:
            raise ApplicationError(
                _("This code is no longer valid (a code works for 5 minutes). Ask for a new one.")
            )
        if verification.attempts >= PHONE_CODE_TRIES:
            raise ApplicationError(_("Too many wrong codes. Ask for a new code."))
        right = hmac.compare_digest(verification.code_hash, _phone_code_hash(phone, code))
        if right:
            verification.used_at = now
            verification.save(update_fields=["used_at"])
            return verification
        verification.attempts += 1
        verification.save(update_fields=["attempts"])
    left = PHONE_CODE_TRIES - verification.attempts
    if left <= 0:
        raise ApplicationError(
            _("The code is wrong, and that was the last try. Ask for a new code.")
        )
    raise ApplicationError(
        _("The code is wrong. Check the SMS and try again (%(left)s tries left).") % {"left": left}
    )


def phone_verifications_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the codes older than PHONE_CODE_KEEP (the retention round); how many."""
    cutoff = (now or timezone.now()) - PHONE_CODE_KEEP
    # The SMS that carried them keep neither the phone nor the sealed code.
    notification_services.notifications_forget_finished(
        template_key="resident.phone_code", before=cutoff
    )
    return PhoneVerification.objects.filter(created_at__lt=cutoff).delete()[0]


# --- Running a transition of the table ----------------------------------------------------------


def transition_run(*, name: str, request: ResidentRequest, actor, arguments: dict):
    """Run transition `name` of transitions.TRANSITIONS with the arguments its input gave:
    the surfaces (admin pages, API actions, member pages) call this with their form's data."""
    transition = TRANSITIONS[name]
    unknown = set(arguments) - set(transition.arguments)
    if unknown:
        raise ApplicationError(
            _("Unexpected input for %(action)s: %(names)s.")
            % {"action": transition.label, "names": ", ".join(sorted(unknown))}
        )
    service = globals()[transition.service]
    return service(request=request, actor=actor, **arguments)


# --- Personal data (retention and erasure: ops calls these) --------------------------------------

# About 100 m: keeps a request on the map of its neighbourhood, not on a doorstep.
ANONYMIZED_COORDINATE_DECIMALS = 3
ANONYMIZE_BATCH = 500


@dataclass
class RequestsAnonymized:
    """What an anonymization changed: requests blanked, "me too" rows and photos removed, and
    outbox rows that lost their address."""

    requests: int = 0
    supporters: int = 0
    photos: int = 0
    notifications: int = 0


def _anonymize_rows(request_ids: list[int], result: RequestsAnonymized) -> None:
    """Blank the personal fields of these requests and of what hangs off them, skipping rows
    another transaction holds. In a transaction."""
    rows = list(
        ResidentRequest.objects.select_for_update(skip_locked=True).filter(pk__in=request_ids)
    )
    for row in rows:
        row.submitter_name = ""
        row.submitter_phone = ""
        row.address = ""
        if row.lat is not None:
            row.lat = round(row.lat, ANONYMIZED_COORDINATE_DECIMALS)
        if row.lng is not None:
            row.lng = round(row.lng, ANONYMIZED_COORDINATE_DECIMALS)
        row.description = scrub_phones(row.description)
        row.rating_comment = scrub_phones(row.rating_comment)
    # Personal fields only, without full_clean: a blank phone is what anonymized means here,
    # and no other field (status, dates, category, counts) is written.
    ResidentRequest.objects.bulk_update(
        rows,
        [
            "submitter_name",
            "submitter_phone",
            "address",
            "lat",
            "lng",
            "description",
            "rating_comment",
        ],
    )
    ids = [row.pk for row in rows]
    result.requests += len(ids)
    # "Me too" phones go; supporters_count on the request stays for the statistics.
    result.supporters += RequestSupporter.objects.filter(request_id__in=ids).delete()[0]
    photos = list(RequestPhoto.objects.filter(request_id__in=ids, stage=PhotoStage.SUBMISSION))
    for photo in photos:
        name, storage = photo.image.name, photo.image.storage
        transaction.on_commit(lambda name=name, storage=storage: storage.delete(name))
    result.photos += RequestPhoto.objects.filter(pk__in=[p.pk for p in photos]).delete()[0]
    # Messages already out (or given up) lose their address; pending ones are left to go out.
    result.notifications += notification_services.notifications_anonymize(request_ids=ids)


def requests_anonymize(
    *, before: datetime.datetime | None = None, phone: str = ""
) -> RequestsAnonymized:
    """Blank the residents' personal data of requests: name, phone, address, the exact map
    point, phone numbers in the texts, their "me too" rows and submission photos. Statuses,
    dates, categories and counts stay, so the statistics stay as they were.

    `before`: every finished request (rejected, merged, closed) that finished before then,
    the retention round. In batches, each in its own transaction, skipping rows another
    transaction holds (the next round takes them). Idempotent: an anonymized request has no
    phone and is not taken again.

    `phone`: every request this phone submitted, open or not (the caller decides), and the
    "me too" rows of this phone on other requests (erasure), in one transaction.
    """
    if (before is None) == (not phone):
        raise TypeError("requests_anonymize takes either before or phone")
    result = RequestsAnonymized()
    if phone:
        with transaction.atomic():
            ids = list(
                ResidentRequest.objects.filter(submitter_phone=phone).values_list("pk", flat=True)
            )
            if ids:
                _anonymize_rows(ids, result)
            result.supporters += RequestSupporter.objects.filter(phone=phone).delete()[0]
        return result
    expired = (
        ResidentRequest.objects.filter(status__in=FINAL_STATUSES)
        .exclude(submitter_phone="")
        .annotate(finished_at=Coalesce("closed_at", "updated_at"))
        .filter(finished_at__lt=before)
        .order_by("pk")
    )
    last_pk = 0
    while True:
        ids = list(expired.filter(pk__gt=last_pk).values_list("pk", flat=True)[:ANONYMIZE_BATCH])
        if not ids:
            break
        last_pk = ids[-1]
        with transaction.atomic():
            _anonymize_rows(ids, result)
    return result
