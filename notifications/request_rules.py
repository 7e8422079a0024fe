"""Who is told what about a resident request, and the periodic deadline and digest rounds.

new request → its grid leader and the community's duty staff; dispatched → the party member;
escalated → the staff of the new level, or the departments called in; 24 hours before a deadline
→ whoever must act; a deadline passed → them and the staff one level up (督办), and a missed
acceptance deadline escalates the request one level (分级响应) through the request workflow;
resolved → the resident, with the link to rate it; 8:00 every morning → each community
secretary. The resident also gets a receipt with the tracking code and the private link, and
(unless they turned them off) progress messages: accepted, dispatched, escalated; "me too"
supporters get the same progress. Status changes are never made here: they go through
resident_requests.services.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from core.exceptions import ApplicationError
from core.validators import MAINLAND_MOBILE_RE
from organization.models import OrgUnit, StaffRole, UnitKind

from . import selectors
from .messages import seal_code
from .models import Notification, ShortLink
from .services import Recipient, notifications_create, notifications_create_many

logger = logging.getLogger(__name__)

# Reminders go out when a deadline is this close, and only for deadlines set further ahead
# than that (the message that started the clock already named a nearer one).
REMIND_BEFORE = datetime.timedelta(hours=24)
# One round handles at most this many requests per rule; the next round takes the rest.
ROUND_LIMIT = 500


# --- Helpers -------------------------------------------------------------------------------------


def short_link(path: str) -> str:
    link = ShortLink.objects.create(target=path)
    return settings.PORTAL_BASE_URL + reverse("notifications:short_link", args=[link.token])


def request_context(request, **extra) -> dict:
    """What any message about `request` may say: never the resident's name or phone."""
    return {
        "code": request.code,
        "grid": request.grid.name,
        "category": request.category.name,
        "level": request.level,
        **{
            key: value.isoformat() if hasattr(value, "isoformat") else value
            for key, value in extra.items()
        },
    }


def unit_of_level(request) -> OrgUnit:
    """The unit handling the request now; departments are coordinated by the street."""
    grid = request.grid
    if request.level == "grid":
        return grid.unit
    if request.level == "community":
        return grid.community
    return OrgUnit.objects.get(pk=grid.community.parent_id)


def staff(users, audience: str = "staff") -> list[Recipient]:
    return [Recipient(audience=audience, user=user) for user in users]


def grid_leaders(request) -> list[Recipient]:
    """The grid's leader (网格长, a person, with or without a login) and grid-leader logins."""
    recipients = []
    if request.grid.leader_id:
        recipients.append(Recipient(audience="staff", person=request.grid.leader))
    recipients += staff(selectors.staff_users(role=StaffRole.GRID_LEADER, unit=request.grid.unit))
    return recipients


def department_contacts(department) -> list[Recipient]:
    """A department's contact (phone if a mobile, e-mail) and its staff's logins."""
    recipients = staff(
        selectors.staff_users(role=StaffRole.DEPARTMENT_STAFF, department=department),
        audience="department",
    )
    phone = department.contact_phone.strip()
    if MAINLAND_MOBILE_RE.match(phone) or department.contact_email:
        recipients.append(
            Recipient(
                audience="department",
                phone=phone if MAINLAND_MOBILE_RE.match(phone) else "",
                email=department.contact_email,
            )
        )
    return recipients


def handlers(request) -> list[Recipient]:
    """Whoever must act on the request now: its party member, else the staff of its level
    (the departments still working on it, at the department level)."""
    if request.assignee_id:
        return [Recipient(audience="staff", person=request.assignee)]
    if request.level == "grid":
        return grid_leaders(request)
    if request.level == "department":
        recipients = []
        for link in request.department_links.filter(reported_done_at__isnull=True).select_related(
            "department"
        ):
            recipients += department_contacts(link.department)
        return recipients
    return staff(selectors.handlers_of(unit_of_level(request)))


def progress_recipients(request) -> list[Recipient]:
    """Who hears how a request is going: its resident (unless they turned progress messages
    off on the tracking page) and the residents who said "me too"."""
    phones = [request.submitter_phone] if request.progress_sms else []
    phones += request.supporters.values_list("phone", flat=True)
    return [Recipient(audience="resident", phone=phone) for phone in phones if phone]


def private_link(request) -> str:
    """The short link to the resident's own tracking page (never sent to supporters)."""
    return short_link(reverse("resident_requests:token", args=[request.access_token]))


def current_deadline(request):
    if request.status == "submitted":
        return request.accept_deadline
    return request.resolve_deadline


# --- Events --------------------------------------------------------------------------------------


def _on_submitted(event, request):
    # The same people as grid_leaders(request) + handlers_of(the community) (+ handlers_of(the
    # street) for a request that starts above the community), read in one query, the grid
    # leader's own login with them. A community's parent is always a street (PARENT_KIND).
    grid = request.grid
    scopes = [(StaffRole.GRID_LEADER, grid.unit_id), (StaffRole.COMMUNITY_STAFF, grid.community_id)]
    if request.level not in ("grid", "community") and grid.community.parent_id is not None:
        scopes.append((StaffRole.STREET_STAFF, grid.community.parent_id))
    leader = grid.leader if grid.leader_id else None
    groups, users = selectors.staff_groups(scopes, also=[leader.user_id] if leader else [])
    recipients = []
    if leader is not None:
        recipients.append(
            Recipient(audience="staff", person=leader, user=users.get(leader.user_id))
        )
    for group in groups:
        recipients += staff(group)
    # The receipt goes out whatever the resident chose for progress messages.
    resident = Recipient(audience="resident", phone=request.submitter_phone)
    return [
        ("request.submitted", recipients, {"deadline": request.accept_deadline}),
        ("request.receipt", [resident], {"link": private_link(request)}),
    ]


def _on_accepted(event, request):
    return [("request.progress_accepted", progress_recipients(request), {})]


def _on_dispatched(event, request):
    if event.assignee_id is None:
        return []
    link = short_link(reverse("resident_requests:member_order", args=[request.code]))
    member = event.assignee
    # Residents learn who handles it by role and surname ("党员 王"), never by full name.
    handler = {
        "handler_role": "party_member" if member.is_party_member else "volunteer",
        "handler_surname": (member.name or "").strip()[:1],
    }
    return [
        (
            "request.dispatched",
            [Recipient(audience="staff", person=member)],
            {"link": link},
        ),
        ("request.progress_dispatched", progress_recipients(request), handler),
    ]


def _on_escalated(event, request):
    progress = ("request.progress_escalated", progress_recipients(request), {})
    if request.level == "department":
        # Each department called in gets its own message (DEPARTMENT_CALLED).
        return [progress]
    return [
        (
            "request.escalated",
            staff(selectors.handlers_of(unit_of_level(request))),
            {"deadline": current_deadline(request)},
        ),
        progress,
    ]


def _on_department_called(event, request):
    if event.department_id is None:
        return []
    deadline = (
        request.department_links.filter(department_id=event.department_id)
        .values_list("acknowledge_deadline", flat=True)
        .first()
    )
    return [
        (
            "request.escalated",
            department_contacts(event.department),
            {"level": "department", "deadline": deadline},
        )
    ]


def _on_overdue(event, request):
    deadline = current_deadline(request)
    due = {"deadline": deadline}
    if request.level == "department":
        supervisors = staff(selectors.handlers_of(unit_of_level(request)))
    else:
        supervisors = staff(selectors.supervisors_of(unit_of_level(request)))
    return [
        ("request.overdue", handlers(request), due),
        ("request.overdue_supervise", supervisors, due),
    ]


def _on_resolved(event, request):
    # The request to rate goes out whatever the resident chose for progress messages.
    resident = Recipient(audience="resident", phone=request.submitter_phone)
    followers = [
        Recipient(audience="resident", phone=phone)
        for phone in request.supporters.values_list("phone", flat=True)
    ]
    return [
        ("request.resolved", [resident], {"link": private_link(request)}),
        ("request.resolved_follower", followers, {}),
    ]


def _on_supported(event, request):
    """The resident who said "me too" gets the request's public view: never the original
    resident's private link (their name, phone and rating form)."""
    from resident_requests.selectors import public_ref

    # The supporter this event records: rows are locked and written one at a time, so it is
    # the latest that existed when the event was written.
    phone = (
        request.supporters.filter(created_at__lte=event.created_at)
        .order_by("-created_at", "-id")
        .values_list("phone", flat=True)
        .first()
    )
    if not phone:
        return []
    path = reverse("resident_requests:public", args=[public_ref(request)])
    follower = Recipient(audience="resident", phone=phone)
    return [("request.supported", [follower], {"link": short_link(path)})]


def _on_rejected(event, request):
    token_path = reverse("resident_requests:token", args=[request.access_token])
    resident = Recipient(audience="resident", phone=request.submitter_phone)
    return [("request.rejected", [resident], {"link": short_link(token_path)})]


EVENT_RULES = {
    "submitted": _on_submitted,
    "accepted": _on_accepted,
    "dispatched": _on_dispatched,
    "escalated": _on_escalated,
    "reopened": _on_escalated,
    "department_called": _on_department_called,
    "overdue": _on_overdue,
    "resolved": _on_resolved,
    "rejected": _on_rejected,
    "supported": _on_supported,
}


def notify_request_event(*, event) -> list[Notification]:
    rule = EVENT_RULES.get(event.kind)
    if rule is None:
        return []
    request = event.request
    # Every message of the event in one INSERT (staff's notice and the resident's receipt).
    messages = [
        (template_key, request_context(request, **extra), recipients)
        for template_key, recipients, extra in rule(event, request)
        if recipients
    ]
    if not messages:
        return []
    return notifications_create_many(
        cause=f"event:{event.pk}", messages=messages, request_id=request.pk
    )


def phone_code_send(*, phone: str, code: str, cause: str) -> list[Notification]:
    """The one-time code a resident asked for to list their requests by phone number: by SMS,
    kept sealed in the outbox row (messages.seal_code)."""
    return notifications_create(
        cause=cause,
        template_key="resident.phone_code",
        context=seal_code(code),
        recipients=[Recipient(audience="resident", phone=phone)],
    )


# --- Periodic rounds -----------------------------------------------------------------------------


def _clock_started(request):
    """When the current deadline was set: submission, acceptance or the last escalation."""
    start = request.created_at if request.status == "submitted" else request.accepted_at
    candidates = [t for t in (start, request.escalated_at) if t]
    return max(candidates) if candidates else request.created_at


def remind_due_soon(now) -> int:
    from resident_requests.models import OPEN_STATUSES, ResidentRequest

    reminded_recently = Notification.objects.filter(
        request_id=OuterRef("pk"),
        template_key="request.deadline_soon",
        created_at__gte=now - REMIND_BEFORE,
    )
    window = (now, now + REMIND_BEFORE)
    candidates = (
        ResidentRequest.objects.filter(status__in=OPEN_STATUSES, overdue=False)
        .filter(
            Q(status="submitted", accept_deadline__range=window)
            | (~Q(status="submitted") & Q(resolve_deadline__range=window))
        )
        .filter(~Exists(reminded_recently))
        .select_related("grid__unit", "grid__community", "grid__leader", "category", "assignee")
        .order_by("pk")[:ROUND_LIMIT]
    )
    count = 0
    for request in candidates:
        deadline = current_deadline(request)
        if deadline - _clock_started(request) <= REMIND_BEFORE + datetime.timedelta(hours=1):
            continue
        with transaction.atomic():
            written = notifications_create(
                cause=f"due-soon:{request.pk}:{deadline.isoformat()}",
                template_key="request.deadline_soon",
                context=request_context(request, deadline=deadline),
                recipients=handlers(request),
                request_id=request.pk,
            )
        count += bool(written)
    return count


def handle_overdue(now) -> tuple[int, int]:
    """Flag overdue requests (their OVERDUE event tells the handler and the supervisor); a
    missed acceptance deadline also escalates the request one level."""
    from resident_requests import selectors as request_selectors
    from resident_requests import services as request_services

    flagged = escalated = 0
    for request in request_selectors.requests_overdue(now).order_by("pk")[:ROUND_LIMIT]:
        missed_acceptance = (
            request.status == "submitted"
            and request.accept_deadline is not None
            and request.accept_deadline < now
        )
        try:
            request_services.request_mark_overdue(request=request, actor=None)
            flagged += 1
        except ApplicationError as exc:
            logger.info("deadlines: %s not flagged overdue: %s", request.code, exc)
            continue
        if missed_acceptance:
            try:
                request_services.request_escalate(
                    request=request,
                    actor=None,
                    internal_note=gettext("Acceptance deadline missed: escalated automatically."),
                )
                escalated += 1
            except ApplicationError as exc:
                logger.warning("deadlines: %s could not be escalated: %s", request.code, exc)
    return flagged, escalated


def remind_departments(now) -> int:
    """Departments that have not reported in (报到) or done in time: them and the street."""
    from resident_requests import selectors as request_selectors

    links = (
        request_selectors.department_links_overdue(now)
        .select_related(
            "department", "request__grid__community", "request__grid__unit", "request__category"
        )
        .order_by("pk")[:ROUND_LIMIT]
    )
    count = 0
    for link in links:
        missed_ack = link.acknowledged_at is None and link.acknowledge_deadline < now
        deadline = link.acknowledge_deadline if missed_ack else link.done_deadline
        request = link.request
        cause = f"department-overdue:{link.pk}:{'ack' if missed_ack else 'done'}"
        street = OrgUnit(pk=request.grid.community.parent_id, kind=UnitKind.STREET)
        context = request_context(request, deadline=deadline)
        with transaction.atomic():
            written = notifications_create(
                cause=cause,
                template_key="request.overdue",
                context=context,
                recipients=department_contacts(link.department),
                request_id=request.pk,
            )
            written += notifications_create(
                cause=cause,
                template_key="request.overdue_supervise",
                context=context,
                recipients=staff(selectors.handlers_of(street)),
                request_id=request.pk,
            )
        count += bool(written)
    return count


def close_unrated(now) -> int:
    """Resolved requests nobody rated in 7 days close by themselves (issue 4's rule)."""
    from resident_requests import selectors as request_selectors
    from resident_requests import services as request_services

    closed = 0
    for request in request_selectors.requests_unrated_due(now).order_by("pk")[:ROUND_LIMIT]:
        try:
            request_services.request_close_unrated(request=request, actor=None)
            closed += 1
        except ApplicationError as exc:
            logger.info("deadlines: %s not closed: %s", request.code, exc)
    return closed


def deadlines_check(*, now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    reminded = remind_due_soon(now)
    flagged, escalated = handle_overdue(now)
    departments = remind_departments(now)
    closed = close_unrated(now)
    return {
        "reminded": reminded,
        "overdue": flagged,
        "escalated": escalated,
        "departments_reminded": departments,
        "closed_unrated": closed,
    }


def daily_digests_send(*, now: datetime.datetime | None = None) -> int:
    """Each community secretary: open and overdue requests of the community (none: no message)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    counts = selectors.open_and_overdue_by_community()
    sent = 0
    for position in selectors.secretary_positions():
        open_count, overdue_count = counts.get(position.unit_id, (0, 0))
        if not open_count:
            continue
        with transaction.atomic():
            written = notifications_create(
                cause=f"digest:{position.unit_id}:{day.isoformat()}",
                template_key="digest.daily",
                context={
                    "unit": position.unit.name,
                    "date": day.isoformat(),
                    "open": open_count,
                    "overdue": overdue_count,
                },
                recipients=[Recipient(audience="staff", person=position.person)],
            )
        sent += bool(written)
    return sent
