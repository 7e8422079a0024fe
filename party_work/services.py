"""Writes of party members' work: claiming posts, logging household visits, awarding the
先锋榜样 title, booking reception-day places, their reminders, and turning what a resident raised
at a session into a request (through resident_requests.services), and starting a draft service
project from a month's recurring requests (每月一题).
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError, IllegalTransition, OutOfScope
from grids.models import Building, Grid
from organization.models import OrgUnit, Person, UnitKind
from organization.selectors import filter_visible, unit_is_visible

from . import selectors
from .models import (
    HouseholdLink,
    HouseholdVisit,
    PostClaim,
    ProjectStatus,
    ReceptionBooking,
    ReceptionSession,
    ServiceProject,
    SessionStatus,
    VanguardAward,
)


def _full_clean(obj, exclude=None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), extra=exc.message_dict) from exc


def _require_visible(actor, obj, message: str) -> None:
    if actor is None:
        return
    if not filter_visible(type(obj).objects.filter(pk=obj.pk), actor, obj.SCOPE_PATH).exists():
        raise OutOfScope(message)


# --- Posts (认岗领责) -----------------------------------------------------------------------------


@transaction.atomic
def post_claim(
    *,
    person: Person,
    grid: Grid,
    post: str,
    start_date: datetime.date,
    duty: str = "",
    actor=None,
) -> PostClaim:
    """A party member claims a post or duty in a grid."""
    if actor is not None and not unit_is_visible(actor, grid.unit):
        raise OutOfScope(_("%(grid)s is not in your scope.") % {"grid": grid})
    claim = PostClaim(
        person=person, grid=grid, post=post, start_date=start_date, duty=(duty or "").strip()
    )
    _full_clean(claim)
    claim.save()
    return claim


@transaction.atomic
def post_release(*, claim: PostClaim, end_date: datetime.date, actor=None) -> PostClaim:
    """The member hands the post back: it stays on record with its end date."""
    claim = PostClaim.objects.select_for_update().get(pk=claim.pk)
    _require_visible(actor, claim, _("This claimed post is not in your scope."))
    if claim.end_date is not None:
        raise IllegalTransition(_("This post was already handed back."))
    claim.end_date = end_date
    _full_clean(claim)
    claim.save(update_fields=["end_date", "updated_at"])
    return claim


# --- Household visits (党员联户) -------------------------------------------------------------------


@transaction.atomic
def household_visit_log(
    *,
    link: HouseholdLink,
    visited_on: datetime.date,
    visitor: Person | None = None,
    note: str = "",
    actor=None,
) -> HouseholdVisit:
    """Log a visit; the household leaves the 90-day to-do list if it was on it."""
    link = HouseholdLink.objects.select_for_update().get(pk=link.pk)
    _require_visible(actor, link, _("This household is not in your scope."))
    if visited_on > timezone.localdate():
        raise ApplicationError(_("A visit cannot be logged for a day that has not come yet."))
    if link.visits.filter(visited_on=visited_on).exists():
        raise ApplicationError(_("A visit to this household is already logged that day."))
    visit = HouseholdVisit(link=link, visited_on=visited_on, visitor=visitor, note=note.strip())
    _full_clean(visit, exclude=["link"])
    visit.save()
    if link.last_visit is None or visited_on > link.last_visit:
        link.last_visit = visited_on
        link.save(update_fields=["last_visit", "updated_at"])
    return visit


# --- Vanguard recognition (先锋榜样) ----------------------------------------------------------------


@transaction.atomic
def vanguard_award(
    *, person: Person, year: int, quarter: int, actor, citation: str = ""
) -> VanguardAward:
    """Staff award the 先锋榜样 title for a quarter, to a member of their scope. The points
    earned that quarter (party_work.points) are recorded with it."""
    # Refusals name nobody: the person may be outside the caller's scope (issue 19.4a).
    branch = (
        OrgUnit.objects.get(pk=person.membership_unit_id) if person.membership_unit_id else None
    )
    if branch is None or not unit_is_visible(actor, branch):
        raise OutOfScope(_("The chosen person is not a party member of a branch in your scope."))
    if VanguardAward.objects.filter(person=person, year=year, quarter=quarter).exists():
        raise IllegalTransition(
            _("%(name)s already holds the title for %(year)s Q%(quarter)s.")
            % {"name": person.name, "year": year, "quarter": quarter}
        )
    ranking = selectors.vanguard_ranking(unit=branch, year=year, quarter=quarter)
    earned = next((row.points for row in ranking if row.person_id == person.pk), 0)
    award = VanguardAward(
        person=person,
        branch=branch,
        year=year,
        quarter=quarter,
        points=earned,
        citation=(citation or "").strip(),
        awarded_by=actor,
    )
    _full_clean(award)
    award.save()
    return award


# --- Reception days (温暖20) ----------------------------------------------------------------------


def _session_over(session: ReceptionSession, now: datetime.datetime) -> bool:
    local = timezone.localtime(now)
    if session.date != local.date():
        return session.date < local.date()
    return local.time() >= session.end_time


def reception_book(
    *, session: ReceptionSession, name: str, phone: str, topic: str
) -> ReceptionBooking:
    """A resident books a place at a coming session. A full session, a phone number already
    booked at it and a session in the past are each refused with a message; nothing is saved.
    The session row is locked, so two residents cannot take its last place together."""
    booking = ReceptionBooking(
        session=session,
        name=(name or "").strip(),
        phone=(phone or "").strip(),
        topic=(topic or "").strip(),
    )
    _full_clean(booking, exclude=["session", "request"])
    try:
        with transaction.atomic():
            session = ReceptionSession.objects.select_for_update().get(pk=session.pk)
            if session.status == SessionStatus.CANCELLED:
                raise IllegalTransition(
                    _("This session was cancelled. Please choose another date.")
                )
            if session.status == SessionStatus.HELD or _session_over(session, timezone.now()):
                raise IllegalTransition(
                    _("This session has already taken place. Please choose a coming one.")
                )
            if session.bookings.filter(phone=booking.phone).exists():
                raise ApplicationError(
                    _(
                        "This phone number already has a place at this session. One place per "
                        "phone: if you have more to raise, add it to your topic on the day."
                    )
                )
            if session.bookings.count() >= session.capacity:
                raise ApplicationError(
                    _("This session is full. Please choose another date or another community.")
                )
            booking.session = session
            booking.save()
    except IntegrityError as exc:
        # The same phone booked in a parallel request and won the race.
        raise ApplicationError(_("This phone number already has a place at this session.")) from exc
    return booking


def reception_reminders_send(*, today: datetime.date | None = None) -> int:
    """Write the reminders for tomorrow's sessions to the notifications outbox; the number of
    bookings reminded. Each booking is reminded once however often this runs (the outbox's
    cause key)."""
    from notifications.services import Recipient, notifications_create

    today = today or timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    count = 0
    for booking in selectors.bookings_for_reminder(tomorrow):
        session = booking.session
        with transaction.atomic():
            notifications_create(
                cause=f"reception-booking:{booking.pk}:reminder",
                template_key="reception.reminder",
                context={
                    "date": session.date.isoformat(),
                    "time": session.start_time.strftime("%H:%M"),
                    "place": session.place,
                },
                recipients=[Recipient(audience="resident", phone=booking.phone)],
            )
        count += 1
    return count


@transaction.atomic
def reception_session_hold(
    *, session: ReceptionSession, actor, summary: str = ""
) -> ReceptionSession:
    """Record that a session took place, with a summary of what was raised."""
    session = ReceptionSession.objects.select_for_update().get(pk=session.pk)
    _require_visible(actor, session, _("This session is not in your scope."))
    if session.status != SessionStatus.SCHEDULED:
        raise IllegalTransition(_("Only a scheduled session can be marked as held."))
    session.status = SessionStatus.HELD
    if summary:
        session.summary = summary.strip()
    session.save(update_fields=["status", "summary", "updated_at"])
    return session


def reception_booking_to_request(
    *, booking: ReceptionBooking, actor, building: Building, category, description: str = ""
):
    """Staff turn what a resident raised at a session into a ResidentRequest with the channel
    "reception day", through the request workflow's own submission service."""
    from resident_requests.models import Channel
    from resident_requests.services import request_submit

    with transaction.atomic():
        booking = (
            ReceptionBooking.objects.select_for_update()
            .select_related("session", "session__community")
            .get(pk=booking.pk)
        )
        _require_visible(actor, booking, _("This booking is not in your scope."))
        if booking.request_id:
            raise IllegalTransition(
                _("This booking was already turned into request %(code)s.")
                % {"code": booking.request.code}
            )
        community = booking.session.community
        if not Building.objects.filter(pk=building.pk, grid__community_id=community.pk).exists():
            raise ApplicationError(
                _("Choose a building of %(community)s, where the session was held.")
                % {"community": community}
            )
        request = request_submit(
            actor=actor,
            submitter_name=booking.name,
            submitter_phone=booking.phone,
            building=building,
            category=category,
            description=(description or "").strip() or booking.topic,
            channel=Channel.RECEPTION_DAY,
        )
        booking.request = request
        booking.save(update_fields=["request", "updated_at"])
    return request


# --- Service projects (为民服务项目) ----------------------------------------------------------------


@transaction.atomic
def service_project_from_topic(
    *,
    community: OrgUnit,
    category,
    month: datetime.date,
    requests_count: int = 0,
    actor=None,
) -> ServiceProject:
    """A planned (draft) service project for a community answering one category of requests
    in one month (每月一题, 未诉先办): the page that suggests it links it by category and month."""
    if community.kind != UnitKind.COMMUNITY:
        raise ApplicationError(_("A service project belongs to a community."))
    if actor is not None and not unit_is_visible(actor, community):
        raise OutOfScope(_("This community is not in your scope."))
    month = month.replace(day=1)
    if ServiceProject.objects.filter(
        community=community, topic_category=category, topic_month=month
    ).exists():
        raise ApplicationError(
            _("This community already has a project for this category and month.")
        )
    project = ServiceProject(
        community=community,
        year=month.year,
        title=_("Monthly topic %(month)s: %(category)s")
        % {"month": month.strftime("%Y-%m"), "category": category.name},
        status=ProjectStatus.PLANNED,
        description=_(
            "Started from the monthly topics page: %(count)s requests about %(category)s "
            "in %(month)s. Draft: set the goal, the people in charge and the dates."
        )
        % {"count": requests_count, "category": category.name, "month": month.strftime("%Y-%m")},
        topic_category=category,
        topic_month=month,
    )
    _full_clean(project)
    try:
        with transaction.atomic():
            project.save()
    except IntegrityError as exc:  # a second click at the same moment
        raise ApplicationError(
            _("This community already has a project for this category and month.")
        ) from exc
    return project


def reception_topic_from_month(*, community: OrgUnit, category, actor=None) -> ReceptionSession:
    """Put a month's recurring request category (每月一题) on the agenda of the community's next
    scheduled 温暖20 reception session, as its topic. Refused with a message when the community
    has no session to come or the next one already has a topic; nothing is changed then."""
    if community.kind != UnitKind.COMMUNITY:
        raise ApplicationError(_("A reception session belongs to a community."))
    if actor is not None and not unit_is_visible(actor, community):
        raise OutOfScope(_("This community is not in your scope."))
    now = timezone.now()
    with transaction.atomic():
        coming = ReceptionSession.objects.select_for_update().filter(
            community=community,
            status=SessionStatus.SCHEDULED,
            date__gte=timezone.localdate(now),
        )
        # Today's session counts until it ends.
        session = next(
            (
                s
                for s in coming.order_by("date", "start_time", "pk")[:2]
                if not _session_over(s, now)
            ),
            None,
        )
        if session is None:
            raise ApplicationError(
                _(
                    "%(community)s has no 温暖20 reception session scheduled: schedule one "
                    "first, then put the topic on its agenda."
                )
                % {"community": community.name}
            )
        if session.topic:
            raise ApplicationError(
                _(
                    "The next 温暖20 reception session of %(community)s (%(date)s) already has a "
                    "topic: %(topic)s."
                )
                % {
                    "community": community.name,
                    "date": session.date.isoformat(),
                    "topic": session.topic,
                }
            )
        session.topic = category.name
        _full_clean(session)
        session.save(update_fields=["topic", "updated_at"])
    return session
