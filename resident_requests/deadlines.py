"""The periodic rounds of a request's deadlines, and the morning digest (tasks.py runs them).

24 hours before a deadline → whoever must act; a deadline passed → the request is flagged
overdue (its OVERDUE event tells the handler and the staff one level up, 督办), and a missed
acceptance deadline escalates it one level (分级响应); departments that have not reported in
or done in time → them and the street; a resident who has not rated 48 hours after the
resolution → one reminder (rating_reminders_send, its own daytime task); a resolved request
nobody rated in 7 days closes by itself; 8:00 every morning → each community secretary. Status changes go through the
workflow's own services, as any other transition.
"""

import datetime
import logging

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext

from core.exceptions import ApplicationError
from notifications.models import Notification
from notifications.services import Recipient, notifications_create
from organization.models import OrgUnit, UnitKind

from . import recipients as who
from . import selectors, services
from .messages import current_deadline, private_link, request_context
from .models import OPEN_STATUSES, ResidentRequest, Status
from .transitions import AUTO_CLOSE_AFTER

logger = logging.getLogger(__name__)

# Reminders go out when a deadline is this close, and only for deadlines set further ahead
# than that (the message that started the clock already named a nearer one).
REMIND_BEFORE = datetime.timedelta(hours=24)
# One round handles at most this many requests per rule; the next round takes the rest.
ROUND_LIMIT = 500


def _clock_started(request: ResidentRequest):
    """When the current deadline was set: submission, acceptance or the last escalation."""
    start = request.created_at if request.status == Status.SUBMITTED else request.accepted_at
    candidates = [t for t in (start, request.escalated_at) if t]
    return max(candidates) if candidates else request.created_at


def remind_due_soon(now: datetime.datetime) -> int:
    reminded_recently = Notification.objects.filter(
        request_id=OuterRef("pk"),
        template_key="request.deadline_soon",
        created_at__gte=now - REMIND_BEFORE,
    )
    window = (now, now + REMIND_BEFORE)
    candidates = (
        # A suspended request's clock is stopped (挂起): no reminder until it resumes.
        ResidentRequest.objects.filter(
            status__in=OPEN_STATUSES, overdue=False, suspended_since__isnull=True
        )
        .filter(
            Q(status=Status.SUBMITTED, accept_deadline__range=window)
            | (~Q(status=Status.SUBMITTED) & Q(resolve_deadline__range=window))
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
                recipients=who.handlers(request),
                request_id=request.pk,
            )
        count += bool(written)
    return count


def handle_overdue(now: datetime.datetime) -> tuple[int, int]:
    """Flag overdue requests (their OVERDUE event tells the handler and the supervisor); a
    missed acceptance deadline also escalates the request one level."""
    flagged = escalated = 0
    for request in selectors.requests_overdue(now).order_by("pk")[:ROUND_LIMIT]:
        missed_acceptance = (
            request.status == Status.SUBMITTED
            and request.accept_deadline is not None
            and request.accept_deadline < now
        )
        try:
            services.request_mark_overdue(request=request, actor=None)
            flagged += 1
        except ApplicationError as exc:
            logger.info("deadlines: %s not flagged overdue: %s", request.code, exc)
            continue
        if missed_acceptance:
            try:
                services.request_escalate(
                    request=request,
                    actor=None,
                    internal_note=gettext("Acceptance deadline missed: escalated automatically."),
                )
                escalated += 1
            except ApplicationError as exc:
                logger.warning("deadlines: %s could not be escalated: %s", request.code, exc)
    return flagged, escalated


def remind_departments(now: datetime.datetime) -> int:
    """Departments that have not reported in (报到) or done in time: them and the street."""
    links = (
        selectors.department_links_overdue(now)
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
                recipients=who.department_contacts(link.department),
                request_id=request.pk,
            )
            written += notifications_create(
                cause=cause,
                template_key="request.overdue_supervise",
                context=context,
                recipients=who.staff(who.handlers_of(street)),
                request_id=request.pk,
            )
        count += bool(written)
    return count


def close_unrated(now: datetime.datetime) -> int:
    """Resolved requests nobody rated in 7 days close by themselves (issue 4's rule)."""
    closed = 0
    for request in selectors.requests_unrated_due(now).order_by("pk")[:ROUND_LIMIT]:
        try:
            services.request_close_unrated(request=request, actor=None)
            closed += 1
        except ApplicationError as exc:
            logger.info("deadlines: %s not closed: %s", request.code, exc)
    return closed


# A resident who has not rated gets one reminder this long after the resolution: well before
# the request closes unrated (transitions.AUTO_CLOSE_AFTER), never in its last day.
RATE_REMINDER_AFTER = datetime.timedelta(hours=48)


def rating_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """One SMS to each resident whose request was resolved 48 hours ago or more and who has not
    rated it yet (nor turned progress messages off). Once per resolution: the outbox's cause
    key refuses a second row, and the query skips requests already reminded."""
    now = now or timezone.now()
    reminded = Notification.objects.filter(
        request_id=OuterRef("pk"),
        template_key="request.rate_reminder",
        created_at__gte=OuterRef("resolved_at"),
    )
    candidates = (
        ResidentRequest.objects.filter(
            status=Status.RESOLVED,
            progress_sms=True,
            resolved_at__lte=now - RATE_REMINDER_AFTER,
            resolved_at__gt=now - AUTO_CLOSE_AFTER + datetime.timedelta(days=1),
        )
        .exclude(submitter_phone="")
        .filter(~Exists(reminded))
        .select_related("grid", "category")
        .order_by("pk")[:ROUND_LIMIT]
    )
    sent = 0
    for request in candidates:
        with transaction.atomic():
            written = notifications_create(
                cause=f"rate-reminder:{request.pk}:{request.reopened_count}",
                template_key="request.rate_reminder",
                context=request_context(request, link=private_link(request)),
                recipients=[who.resident(request)],
                request_id=request.pk,
            )
        sent += bool(written)
    return sent


def deadlines_check(*, now: datetime.datetime | None = None) -> dict:
    """Reminders 24 h ahead, overdue notices (督办), automatic escalation of missed acceptance
    deadlines (分级响应), department reminders and the closing of unrated requests."""
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
    for position in who.secretary_positions():
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
