"""Pages of party_work.

Public: the coming 温暖20 reception sessions and booking a place, the 先锋榜样 honour page, and
a grid's party members on duty (its teams and claimed posts). Staff: the 90-day visit list, the
quarterly vanguard ranking, and making a request of what a resident raised at a session.
"""

import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.audit import audit_personal_data_display
from core.exceptions import ApplicationError
from core.privacy import mask_name
from grids.models import Grid
from organization.models import Person, UnitKind
from organization.selectors import filter_visible, scope_root_units, units_visible_to

from . import selectors, services
from .forms import BookingForm, BookingToRequestForm, RankingForm, VisitForm
from .models import HouseholdLink, ReceptionBooking, ReceptionSession, SessionStatus

PAGE_SIZE = 50
# Booking posts allowed from one address per hour: enough for a family or a community worker
# booking for neighbours, too few to fill a community's sessions with made-up names.
BOOKING_POSTS_PER_HOUR = 10


def _booking_limit_hit(request) -> bool:
    """Count one booking post from this address; True when it is over the hourly limit. The
    cache key is a hash: the cache never holds an address in clear."""
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()[:32]
    key = f"pw:rate:book:{digest}"
    if cache.add(key, 1, timeout=3600):
        return False
    try:
        return cache.incr(key) > BOOKING_POSTS_PER_HOUR
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=3600)
        return False


def _back(request, default: str):
    """Back to the page the form was on (a local path only), or to `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


# --- Public pages -------------------------------------------------------------------------------


def reception_list(request):
    """Each community's coming reception sessions, nearest date first."""
    communities = list(selectors.communities_with_coming_sessions())
    chosen = None
    if request.GET.get("community", "").isdigit():
        chosen = next((c for c in communities if c.pk == int(request.GET["community"])), None)
    sessions = list(selectors.coming_sessions(community=chosen))
    for session in sessions:
        session.places_left = max(0, session.capacity - session.booked)
    return render(
        request,
        "party_work/reception_list.html",
        {"sessions": sessions, "communities": communities, "chosen": chosen},
    )


def reception_book(request, pk: int):
    session = get_object_or_404(
        ReceptionSession.objects.select_related("community", "station").prefetch_related(
            "deputies"
        ),
        pk=pk,
    )
    form = BookingForm(request.POST or None)
    error = None
    if request.method == "POST" and _booking_limit_hit(request):
        error = _(
            "Too many bookings were sent from your connection in the last hour. Please try "
            "again later, or ask your community's service centre to book for you."
        )
        status = 429
    elif request.method == "POST" and form.is_valid():
        try:
            services.reception_book(session=session, **form.cleaned_data)
        except ApplicationError as exc:
            error = exc.message
        else:
            return redirect("party_work:reception_booked", pk=session.pk)
        status = 400
    else:
        status = 200
    booked = session.bookings.count()
    return render(
        request,
        "party_work/reception_book.html",
        {
            "session": session,
            "form": form,
            "error": error,
            "places_left": max(0, session.capacity - booked),
            "is_open": session.status == SessionStatus.SCHEDULED
            and session.date >= timezone.localdate(),
        },
        status=status if error else 200,
    )


def reception_booked(request, pk: int):
    session = get_object_or_404(ReceptionSession.objects.select_related("community"), pk=pk)
    return render(request, "party_work/reception_booked.html", {"session": session})


def honour(request):
    """先锋榜样: name and branch only."""
    quarters = selectors.honour_quarters()
    year = quarter = None
    chosen = request.GET.get("q", "")
    if "-" in chosen:
        y, _sep, q = chosen.partition("-")
        if y.isdigit() and q.isdigit():
            year, quarter = int(y), int(q)
    if year is None and quarters:
        year, quarter = quarters[0]
    awards = list(selectors.honour_roll(year=year, quarter=quarter)) if year else []
    return render(
        request,
        "party_work/honour.html",
        {
            "awards": awards,
            "quarters": [(f"{y}-{q}", y, q) for y, q in quarters],
            "year": year,
            "quarter": quarter,
        },
    )


def grid_duty(request, pk: int):
    """A grid's party members on duty: its volunteer teams and the posts claimed in it."""
    grid = get_object_or_404(Grid.objects.select_related("community"), pk=pk)
    claims = list(selectors.claimed_posts_for_grid(grid))
    for claim in claims:
        claim.public_name = mask_name(claim.person.name)
    return render(
        request,
        "party_work/grid_duty.html",
        {"grid": grid, "teams": selectors.teams_for_grid(grid), "claims": claims},
    )


# --- Staff pages --------------------------------------------------------------------------------


@staff_member_required
def visits_due(request):
    """The community's to-do list: households not visited for 90 days."""
    due = selectors.households_due_visit(user=request.user)
    page = Paginator(due, PAGE_SIZE).get_page(request.GET.get("page"))
    for link in page:  # the visit needs the address; the name is masked like in every list
        link.masked_contact = mask_name(link.contact_name)
    audit_personal_data_display(request, page.object_list, ["address"], as_list=True)
    return render(
        request,
        "party_work/visits_due.html",
        {"page": page, "total": page.paginator.count, "days": selectors.VISIT_DUE_DAYS,
         "today": timezone.localdate()},
    )  # fmt: skip


@staff_member_required
@require_POST
def household_visit(request, pk: int):
    link = get_object_or_404(
        filter_visible(HouseholdLink.objects.all(), request.user, HouseholdLink.SCOPE_PATH), pk=pk
    )
    form = VisitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the date of the visit."))
    else:
        try:
            services.household_visit_log(link=link, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Visit to %(address)s logged.") % {"address": link.address})
    return _back(request, "party_work:visits_due")


@staff_member_required
def booking_to_request(request, pk: int):
    booking = get_object_or_404(
        filter_visible(
            ReceptionBooking.objects.select_related("session", "session__community", "request"),
            request.user,
            ReceptionBooking.SCOPE_PATH,
        ),
        pk=pk,
    )
    community = booking.session.community
    form = BookingToRequestForm(
        request.POST or None, community=community, initial={"description": booking.topic}
    )
    if request.method == "GET":
        audit_personal_data_display(request, [booking], ["name"])
    if request.method == "POST" and form.is_valid():
        try:
            made = services.reception_booking_to_request(
                booking=booking, actor=request.user, **form.cleaned_data
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Request %(code)s was made of what %(name)s raised.")
                % {"code": made.code, "name": booking.name},
            )
            return redirect("admin:party_work_receptionsession_change", booking.session_id)
    return render(request, "party_work/booking_to_request.html", {"booking": booking, "form": form})


def _ranking_units(user):
    """What the user may rank: the streets in their scope, else their communities or grids."""
    streets = list(units_visible_to(user).filter(kind=UnitKind.STREET).order_by("code"))
    if streets:
        return streets
    return list(
        scope_root_units(user).filter(kind__in=[UnitKind.COMMUNITY, UnitKind.GRID]).order_by("code")
    )


@staff_member_required
def ranking(request):
    """The quarterly ranking per street, with the 先锋榜样 title one click away."""
    units = _ranking_units(request.user)
    today = timezone.localdate()
    year, quarter = selectors.quarter_of(today)
    data = request.GET.copy()
    data.setdefault("unit", str(units[0].pk) if units else "")
    data.setdefault("year", str(year))
    data.setdefault("quarter", str(quarter))
    form = RankingForm(data, units=units)
    rows, unit = [], None
    if units and form.is_valid():
        unit = next(u for u in units if u.pk == int(form.cleaned_data["unit"]))
        year, quarter = form.cleaned_data["year"], form.cleaned_data["quarter"]
        rows = selectors.vanguard_ranking(unit=unit, year=year, quarter=quarter)[:100]
    return render(
        request,
        "party_work/ranking.html",
        {"form": form, "rows": rows, "unit": unit, "year": year, "quarter": quarter,
         "can_award": request.user.has_perm("party_work.add_vanguardaward")},
    )  # fmt: skip


@staff_member_required
@require_POST
def ranking_award(request):
    if not request.user.has_perm("party_work.add_vanguardaward"):
        messages.error(request, _("Your role cannot award the title."))
        return redirect("party_work:ranking")
    person = get_object_or_404(Person, pk=request.POST.get("person"))
    try:
        year, quarter = int(request.POST["year"]), int(request.POST["quarter"])
        services.vanguard_award(person=person, year=year, quarter=quarter, actor=request.user)
    except (KeyError, ValueError):
        messages.error(request, _("Choose a year and a quarter."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(name)s is now a vanguard model (先锋榜样).") % {"name": person.name}
        )
    return _back(request, "party_work:ranking")
