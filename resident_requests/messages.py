"""Who is told what about a resident request, and the texts they get.

new request → its grid leader and the community's duty staff; dispatched → the party member;
escalated → the staff of the new level, or the departments called in; a deadline passed → them
and the staff one level up (督办, the OVERDUE event; the deadline rounds are in deadlines.py);
resolved → the resident, with the link to rate it; an approved extension (延期) or a suspension
(挂起) → the resident, as progress. The resident also gets a receipt with the
tracking code and the private link, and (unless they turned them off) progress messages:
accepted, dispatched, escalated; "me too" supporters get the same progress.

The workflow (services.py) hands every event it records to `notify_request_event`, inside the
transition's transaction; the rows go to the notifications outbox, which only stores and sends
them. The templates are added to the outbox's when Django starts (ResidentRequestsConfig.ready).

Every text fits one SMS (70 characters in Chinese with the signature), except the resident's
receipt (a tracking code and a link cannot both fit in one: it is two), and is built only from
the context the outbox row holds, which never includes a resident's phone number, name or text.
"""

import logging

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.privacy import redact_text
from notifications.messages import MessageTemplate, register_templates, seal_code
from notifications.models import Notification
from notifications.services import (
    Recipient,
    notifications_create,
    notifications_create_many,
    short_link_create,
)

from . import recipients as who
from .models import EventKind, HandlingLevel, ResidentRequest, Status
from .selectors import public_ref, unit_of_level

logger = logging.getLogger(__name__)

# Handling levels as a message names them (short: every character counts in an SMS).
LEVEL_NAMES = {
    HandlingLevel.GRID: _("grid"),
    HandlingLevel.COMMUNITY: _("community"),
    HandlingLevel.STREET: _("street"),
    HandlingLevel.DEPARTMENT: _("departments"),
}
# The same levels as residents read them ("已转交街道办理").
RESIDENT_LEVEL_NAMES = {
    HandlingLevel.GRID: _("the grid leader"),
    HandlingLevel.COMMUNITY: _("the community"),
    HandlingLevel.STREET: _("the street office"),
    HandlingLevel.DEPARTMENT: _("the departments concerned"),
}
# Who handles a dispatched request, as residents read it: a role and a surname, never a name.
HANDLER_ROLES = {
    "party_member": _("party member"),
    "volunteer": _("volunteer"),
}


def _request_values(values: dict) -> dict:
    """A request's level and handler in words, in the language being rendered."""
    if "level" in values:
        level = values["level"]
        values["handled_by"] = str(RESIDENT_LEVEL_NAMES.get(level, level))
        values["level"] = str(LEVEL_NAMES.get(level, level))
    if "handler_role" in values:
        role = HANDLER_ROLES.get(values["handler_role"], values["handler_role"])
        values["handler"] = f"{role} {values.get('handler_surname', '')}".strip()
    return values


def _template(title, text) -> MessageTemplate:
    return MessageTemplate(title=title, text=text, prepare=_request_values)


TEMPLATES: dict[str, MessageTemplate] = {
    # → the grid leader and the community's duty staff
    "request.submitted": _template(
        _("New request"),
        _("New request %(code)s (%(grid)s, %(category)s): accept it by %(deadline)s."),
    ),
    # → the party member it was dispatched to; the link opens the order on /member/
    "request.dispatched": _template(
        _("New order for you"),
        _("A new order for you (%(category)s): %(link)s"),
    ),
    # → the party member, when the grid leader wrote a note for them (redacted, shortened):
    # two SMS parts, like the receipt (a link and a note cannot both fit in one)
    "request.dispatched_note": _template(
        _("New order for you"),
        _("New order %(code)s (%(category)s). Note: %(note)s %(link)s"),
    ),
    # → the grid leader (the staff of the level) and whoever dispatched it: give it to another
    "request.declined": _template(
        _("Order given back"),
        _("Order %(code)s (%(category)s) was given back: %(reason)s Dispatch it again."),
    ),
    # → the staff of the new level, or each department called in (吹哨 / 报到)
    "request.escalated": _template(
        _("Request escalated"),
        _("Request %(code)s (%(category)s) is now with the %(level)s: respond by %(deadline)s."),
    ),
    # → whoever must act, 24 hours before a deadline
    "request.deadline_soon": _template(
        _("Deadline in 24 hours"),
        _("Reminder: request %(code)s (%(category)s) is due by %(deadline)s."),
    ),
    # → whoever must act, once a deadline has passed
    "request.overdue": _template(
        _("Request overdue"),
        _("Request %(code)s (%(category)s) is overdue since %(deadline)s: act now."),
    ),
    # → the staff one level up (督办)
    "request.overdue_supervise": _template(
        _("Overdue request to supervise"),
        _("Please supervise: request %(code)s in %(grid)s is overdue since %(deadline)s."),
    ),
    # → the resident, right after submitting: the code to quote and the private link. Two SMS
    # parts: the code (21 characters) and a link (about 48) leave too little for words in one.
    "request.receipt": _template(
        _("We received your request"),
        _("We received your request, code %(code)s. Follow it here: %(link)s"),
    ),
    # Progress, → the resident (unless they turned it off) and the residents who said "me too"
    "request.progress_accepted": _template(
        _("Your request is accepted"),
        _("Request %(code)s (%(category)s) is accepted and will be handled soon."),
    ),
    "request.progress_dispatched": _template(
        _("Your request is being handled"),
        _("Request %(code)s (%(category)s) was given to %(handler)s, who is handling it."),
    ),
    "request.progress_escalated": _template(
        _("Your request was handed up"),
        _("Request %(code)s (%(category)s) was handed to %(handled_by)s to handle."),
    ),
    # → the resident (unless they turned progress off) and "me too" residents: an approved
    # 延期 and a 挂起. No reason in them: staff type it, and an SMS carries no free text.
    "request.progress_extended": _template(
        _("Your request needs more time"),
        _("Request %(code)s (%(category)s) needs more time: it will be handled by %(deadline)s."),
    ),
    "request.progress_suspended": _template(
        _("Your request is on hold"),
        _(
            "Request %(code)s (%(category)s) is on hold; its time limit is paused until work resumes."
        ),
    ),
    # → the resident, with the link to rate the result
    "request.resolved": _template(
        _("Your request is resolved"),
        _("The problem you reported has been resolved. Please rate it: %(link)s"),
    ),
    # → the resident who has not rated 48 hours after the resolution, once (deadlines.py)
    "request.rate_reminder": _template(
        _("Please rate the result"),
        _("The problem you reported was resolved 2 days ago. Please rate it: %(link)s"),
    ),
    # → the residents who said "me too"
    "request.resolved_follower": _template(
        _("Your request is resolved"),
        _("The problem you also reported (%(category)s) has been resolved."),
    ),
    # → a resident who just said "me too", with the request's public view (not the private link)
    "request.supported": _template(
        _("You follow a reported problem"),
        _('Thank you for your "me too". Follow the problem here: %(link)s'),
    ),
    # → the resident, with the link to read why
    "request.rejected": _template(
        _("Your request was not accepted"),
        _("Your request was not accepted. The reason: %(link)s"),
    ),
    # → a resident listing their requests by phone number: the one-time code (sealed in the row)
    "resident.phone_code": MessageTemplate(
        title=_("Your code"),
        text=_("Your code to see your requests: %(otp)s. It works for 5 minutes. Tell no one."),
    ),
    # → each community secretary, every morning (deadlines.daily_digests_send)
    "digest.daily": MessageTemplate(
        title=_("Daily digest"),
        text=_("%(unit)s, %(date)s: %(open)s open requests, %(overdue)s of them overdue."),
    ),
}


def templates_register() -> None:
    """Add this app's templates to the outbox's (ResidentRequestsConfig.ready)."""
    register_templates(TEMPLATES)


# --- What a message may say ----------------------------------------------------------------------


def request_context(request: ResidentRequest, **extra) -> dict:
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


def current_deadline(request: ResidentRequest):
    if request.status == Status.SUBMITTED:
        return request.accept_deadline
    return request.resolve_deadline


def private_link(request: ResidentRequest) -> str:
    """The short link to the resident's own tracking page (never sent to supporters)."""
    return short_link_create(path=reverse("resident_requests:token", args=[request.access_token]))


# --- Events --------------------------------------------------------------------------------------


def _on_submitted(event, request):
    # The grid's leader (a person, with their login if any), the grid leaders' and the
    # community's logins (+ the street's for a request that starts above the community): from
    # this process's memory of the grid's staff, without a query while none of them changed.
    staff = who.staff_of_grid(request.grid)
    grid = staff.grid
    recipients = []
    if grid.leader_id:
        recipients.append(Recipient(audience="staff", person=grid.leader, user=staff.leader_user))
    groups = [staff.grid_leaders, staff.community_staff]
    if request.level not in (HandlingLevel.GRID, HandlingLevel.COMMUNITY):
        groups.append(staff.street_staff)
    for group in groups:
        recipients += who.staff(group)
    # The receipt goes out whatever the resident chose for progress messages.
    return [
        ("request.submitted", recipients, {"deadline": request.accept_deadline}),
        ("request.receipt", [who.resident(request)], {"link": private_link(request)}),
    ]


def _on_accepted(event, request):
    return [("request.progress_accepted", who.progress_recipients(request), {})]


def _on_dispatched(event, request):
    if event.assignee_id is None:
        return []
    link = short_link_create(path=reverse("resident_requests:member_order", args=[request.code]))
    member = event.assignee
    # Residents learn who handles it by role and surname ("党员 王"), never by full name.
    handler = {
        "handler_role": "party_member" if member.is_party_member else "volunteer",
        "handler_surname": (member.name or "").strip()[:1],
    }
    note = member_note(event, request)
    to_member = ("request.dispatched", {"link": link})
    if note:
        to_member = ("request.dispatched_note", {"link": link, "note": _sms_excerpt(note, request)})
    return [
        (to_member[0], [Recipient(audience="staff", person=member)], to_member[1]),
        ("request.progress_dispatched", who.progress_recipients(request), handler),
    ]


# Staff's text quoted in a message: a dispatch note (the message is two SMS parts anyway), a
# member's reason for giving an order back (the message stays one SMS).
NOTE_EXCERPT_LENGTH = 30
REASON_EXCERPT_LENGTH = 20


def member_note(event, request) -> str:
    """The grid leader's note to the member in a DISPATCHED event (without the line naming the
    team and its leader, which the dispatch service puts first for a team)."""
    note = (event.internal_note or "").strip()
    if request.assignee_team_id and "\n" in note:
        return note.split("\n", 1)[1].strip()
    return "" if request.assignee_team_id else note


def _sms_excerpt(text: str, request, length: int = NOTE_EXCERPT_LENGTH) -> str:
    """Free text staff wrote, as a message may quote it: personal data redacted (phones, ID
    numbers, rooms, the resident's name: core.privacy.redact_text), then shortened."""
    text = " ".join(redact_text(text, names=[request.submitter_name]).split())
    if len(text) > length:
        text = text[: length - 1] + "…"
    return text


def _on_declined(event, request):
    recipients = who.handlers(request)
    dispatcher = (
        request.events.filter(kind=EventKind.DISPATCHED, created_at__lte=event.created_at)
        .exclude(actor=None)
        .order_by("-created_at", "-id")
        .values_list("actor_id", flat=True)
        .first()
    )
    if dispatcher is not None:
        recipients.append(Recipient(audience="staff", user=_user(dispatcher)))
    reason = {"reason": _sms_excerpt(event.internal_note, request, REASON_EXCERPT_LENGTH)}
    return [("request.declined", recipients, reason)]


def _user(pk):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=pk)


def _on_escalated(event, request):
    progress = ("request.progress_escalated", who.progress_recipients(request), {})
    if request.level == HandlingLevel.DEPARTMENT:
        # Each department called in gets its own message (DEPARTMENT_CALLED).
        return [progress]
    return [
        (
            "request.escalated",
            who.staff(who.handlers_of(unit_of_level(request))),
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
            who.department_contacts(event.department),
            {"level": HandlingLevel.DEPARTMENT, "deadline": deadline},
        )
    ]


def _on_overdue(event, request):
    due = {"deadline": current_deadline(request)}
    supervisors = who.supervisors(request)
    return [
        ("request.overdue", who.handlers(request), due),
        ("request.overdue_supervise", supervisors, due),
    ]


def _on_resolved(event, request):
    # The request to rate goes out whatever the resident chose for progress messages.
    followers = [
        Recipient(audience="resident", phone=phone)
        for phone in request.supporters.values_list("phone", flat=True)
    ]
    return [
        ("request.resolved", [who.resident(request)], {"link": private_link(request)}),
        ("request.resolved_follower", followers, {}),
    ]


def _on_extended(event, request):
    return [
        (
            "request.progress_extended",
            who.progress_recipients(request),
            {"deadline": event.deadline or request.resolve_deadline},
        )
    ]


def _on_suspended(event, request):
    return [("request.progress_suspended", who.progress_recipients(request), {})]


def _on_supported(event, request):
    """The resident who said "me too" gets the request's public view: never the original
    resident's private link (their name, phone and rating form)."""
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
    return [("request.supported", [follower], {"link": short_link_create(path=path)})]


def _on_rejected(event, request):
    return [("request.rejected", [who.resident(request)], {"link": private_link(request)})]


EVENT_RULES = {
    EventKind.SUBMITTED: _on_submitted,
    EventKind.ACCEPTED: _on_accepted,
    EventKind.DISPATCHED: _on_dispatched,
    EventKind.DECLINED: _on_declined,
    EventKind.ESCALATED: _on_escalated,
    EventKind.REOPENED: _on_escalated,
    EventKind.DEPARTMENT_CALLED: _on_department_called,
    EventKind.OVERDUE: _on_overdue,
    EventKind.RESOLVED: _on_resolved,
    EventKind.REJECTED: _on_rejected,
    EventKind.SUPPORTED: _on_supported,
    EventKind.EXTENDED: _on_extended,
    EventKind.SUSPENDED: _on_suspended,
}


def event_messages_write(*, event) -> list[Notification]:
    """The outbox rows `event` calls for, every message of the event in one INSERT (staff's
    notice and the resident's receipt)."""
    rule = EVENT_RULES.get(event.kind)
    if rule is None:
        return []
    request = event.request
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


def notify_request_event(*, event) -> list[Notification]:
    """Write the outbox rows that `event` (a RequestEvent just recorded) calls for.

    Called inside the transition's transaction. A fault here must not undo the transition (a
    resident who sees an error for a saved request submits it again): it runs in a savepoint,
    and a failure is logged and rolled back to it.
    """
    try:
        with transaction.atomic():
            return event_messages_write(event=event)
    except Exception:
        logger.exception("messages: could not write the messages for event %s", event.pk)
        return []


def phone_code_send(*, phone: str, code: str, cause: str) -> list[Notification]:
    """The one-time code a resident asked for to list their requests by phone number: by SMS,
    kept sealed in the outbox row (notifications.messages.seal_code)."""
    return notifications_create(
        cause=cause,
        template_key="resident.phone_code",
        context=seal_code(code),
        recipients=[Recipient(audience="resident", phone=phone)],
    )
