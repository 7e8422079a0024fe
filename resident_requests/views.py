"""Public pages (the form, tracking, rating, "me too") and the party members' order pages.

Thin: forms check input, resident_requests.services writes, domain errors become messages.
"""

import hashlib
import time

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.audit import audit_personal_data_display
from core.exceptions import ApplicationError
from core.privacy import mask_phone, redact_text
from core.rows import row_by_pk
from core.views import TwoStepLoginMixin
from grids.models import Building
from organization.selectors import person_for_user

from . import ratelimit, selectors, services, todo
from .forms import (
    FORM_TOKEN_MAX_AGE,
    NoteForm,
    PhoneCodeForm,
    PhoneForm,
    ProblemFilterForm,
    RatingForm,
    RequestForm,
    ResolveForm,
    SupportForm,
    TrackForm,
    form_token_valid,
    new_form_token,
)
from .models import Category, PhotoStage, ResidentRequest, Status
from .photos import PhotoRejected, photos_clean
from .transitions import TRANSITIONS, Surface


def _too_many(http_request, template, context):
    messages.error(
        http_request,
        _(
            "Too many attempts from this connection. Wait a while and try again, or call your "
            "community's service centre."
        ),
    )
    return render(http_request, template, context, status=429)


# --- The form ---------------------------------------------------------------------------------


# The blank form's page by RequestForm.blank_page_key() and path, rendered once per process
# with placeholders where each page puts its own CSRF token and form token.
_BLANK_PAGES: dict[tuple, str] = {}
_CSRF_PLACEHOLDER = "csrf-placeholder-0d6f3e"
_FORM_TOKEN_PLACEHOLDER = "form-token-placeholder-0d6f3e"  # noqa: S105  # nosec B105 - a placeholder, replaced on each page


def _blank_form(http_request, template):
    """The page of a blank form: from _BLANK_PAGES (the form, the pickers and the whole page are
    not rendered again), unless a message waits to be shown or the address has a query."""
    key = RequestForm.blank_page_key()
    if key is None or http_request.GET or len(messages.get_messages(http_request)):
        form = RequestForm(initial={"form_token": new_form_token()})
        return render(
            http_request, template, {"form": form, "blank_fields": form.blank_fields_html()}
        )
    key = (*key, http_request.path)
    page = _BLANK_PAGES.get(key)
    if page is None:
        form = RequestForm(initial={"form_token": _FORM_TOKEN_PLACEHOLDER})
        context = {
            "form": form,
            "blank_fields": form.blank_fields_html(),
            "csrf_token": _CSRF_PLACEHOLDER,
            "messages": (),
        }
        page = render_to_string(template, context, request=http_request)
        if len(_BLANK_PAGES) >= 16:
            _BLANK_PAGES.clear()
        _BLANK_PAGES[key] = page
    return HttpResponse(
        page.replace(_CSRF_PLACEHOLDER, get_token(http_request)).replace(
            _FORM_TOKEN_PLACEHOLDER, new_form_token()
        )
    )


@never_cache
def request_new(http_request):
    template = "resident_requests/request_form.html"
    if http_request.method != "POST":
        return _blank_form(http_request, template)

    # Every post counts against its address, and a stored one against its phone too: in the one
    # Redis round trip each answer needs (_form_again, or ratelimit.hit_all before storing).
    form = RequestForm(http_request.POST, http_request.FILES)
    context = {"form": form}
    ip = ratelimit.client_ip(http_request)
    if http_request.POST.get("edit") == "1":
        # "Change my report" on the "is it one of these?" answer: the whole form, as sent.
        return _form_again(http_request, template, context, ip)
    if not form.is_valid():
        return _form_again(http_request, template, context, ip)
    data = form.cleaned_data
    if not form_token_valid(data["form_token"]):
        form = RequestForm(http_request.POST.copy())
        form.data["form_token"] = new_form_token()
        form.is_valid()
        form.add_error(None, _("The form was open too long. Check it and send it again."))
        return _form_again(http_request, template, {"form": form}, ip)
    token = hashlib.sha256(data["form_token"].encode()).hexdigest()
    try:
        photos = photos_clean(data["photos"])
    except PhotoRejected as exc:
        form.add_error("photos", exc.message)
        return _form_again(http_request, template, context, ip)
    # No building when it is not in the list: then no "me too" offer (it is found by building).
    building, category = data.get("building_obj"), data["category"]
    if building is not None and data.get("confirm_new") != "1":
        similar = selectors.similar_open_requests(building=building, category=category)
        if similar:
            existing = _submitted_with(token)
            if existing:  # a resubmitted page: its request is among them
                return redirect("resident_requests:submitted", token=existing)
            form.data = form.data.copy()
            form.data["confirm_new"] = "1"
            context["similar"] = _similar_rows(similar)
            # Not the whole form again: what was sent rides in hidden fields under one button
            # ("send mine"), with a short summary to compare; "change my report" shows the form.
            context["carried"] = _carried_fields(form)
            context["summary"] = {
                "category": category.name,
                "place": " ".join(filter(None, [building.address, data["address"]])),
                "description": data["description"],
            }
            context["support_form"] = SupportForm(
                initial={"building": building.pk, "category": category.pk, "phone": data["phone"]}
            )
            context["photos_dropped"] = bool(photos)
            return _form_again(http_request, template, context, ip)
    # The address's count, the form token marked as sent (one request per form page: a double
    # click or a resubmitted page finds it used) and the phone's count, in one round trip.
    refused = ratelimit.hit_all(
        ratelimit.Count("submit_ip", ip),
        ratelimit.Claim("form", token, FORM_TOKEN_MAX_AGE),
        ratelimit.Count("submit_phone", data["phone"]),
    )
    if refused in ("submit_ip", "submit_phone"):
        return _too_many(http_request, template, context)
    if refused is not None:  # the token was sent before (or Redis could not say)
        existing = _submitted_with(token)
        if existing:  # a double click or a resubmitted page: one request, not two
            return redirect("resident_requests:submitted", token=existing)
        # Sent before but not stored (refused then): the phone was not counted above.
        if refused == "form" and ratelimit.hit("submit_phone", data["phone"]):
            return _too_many(http_request, template, context)
    try:
        request = services.request_submit(
            submitter_name=data["name"],
            submitter_phone=data["phone"],
            building=building,
            category=category,
            description=data["description"],
            address=data["address"],
            lat=data.get("lat") if building is None else None,
            lng=data.get("lng") if building is None else None,
            community=data.get("community_obj"),
            photos=photos,
            submission_token=token,
            request_type=data["request_type"],
            public_allowed=data["public_allowed"],
        )
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return render(http_request, template, context)
    return _to_submitted(http_request, request)


def _carried_fields(form) -> list[tuple[str, str]]:
    """The posted values of the form's own fields (not the photos: a browser sends a file only
    from its own input), as (name, value) for hidden inputs that send them again."""
    return [
        (name, value)
        for name in form.fields
        if name != "photos"
        for value in form.data.getlist(name)
    ]


def _form_again(http_request, template, context, ip):
    """The form again (its errors, or the "me too" offer), counted against the address."""
    if ratelimit.hit("submit_ip", ip):
        return _too_many(http_request, template, context)
    return render(http_request, template, context)


def _submitted_with(token: str) -> str | None:
    """The access token of the request a form page (by its token's hash) already made."""
    return (
        ResidentRequest.objects.filter(submission_token=token)
        .values_list("access_token", flat=True)
        .first()
    )


def _to_submitted(http_request, request):
    return redirect("resident_requests:submitted", token=request.access_token)


@never_cache
def request_submitted(http_request, token):
    request = selectors.request_for_token(token)
    if request is None:
        raise Http404
    return render(http_request, "resident_requests/submitted.html", {"req": request})


def _similar_rows(requests):
    """What the "me too" box shows of other people's requests: kind, building, local date,
    status and supporters; of the text only a redacted excerpt, and only where its resident
    allowed public display."""
    return [
        {
            "ref": selectors.support_ref(r),
            "category": str(r.category.name),
            "address": r.building.address if r.building_id else "",
            "created": timezone.localdate(r.created_at).isoformat(),
            "status": r.get_status_display(),
            "supporters": r.supporters_count,
            "excerpt": (
                Truncator(redact_text(strip_tags(r.description), names=[r.submitter_name])).chars(
                    60
                )
                if r.public_allowed
                else ""
            ),
        }
        for r in requests
    ]


@require_GET
def buildings_lookup(http_request):
    """Building autocomplete: {"results": [{"id", "label"}]}."""
    if ratelimit.hit("lookup_ip", ratelimit.client_ip(http_request)):
        return JsonResponse({"results": [], "error": _("Too many look-ups.")}, status=429)
    buildings = selectors.buildings_matching(http_request.GET.get("q", ""))
    return JsonResponse(
        {"results": [{"id": b.pk, "label": b.address} for b in buildings]},
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def similar_lookup(http_request):
    """Open requests like the one being typed: {"results": [...]} for the "me too" box.

    Only for the form's own page: the look-up needs its form token, and both the address and
    the token are rate-limited, so the district cannot be walked building by building."""
    token = http_request.GET.get("token", "")
    if not form_token_valid(token):
        return JsonResponse(
            {"results": [], "error": _("Open the form again: this look-up belongs to it.")},
            status=403,
        )
    # Called as the resident picks the building and the kind of problem: both counters in one
    # Redis round trip, the building by its compiled SELECT, the kind from the form's own
    # memoized choices (a request can only have one of those): two queries, the building and
    # the look-up.
    over = ratelimit.hit_all(
        ratelimit.Count("similar_ip", ratelimit.client_ip(http_request)),
        ratelimit.Count("similar_token", token),
    )
    if over not in (None, ratelimit.UNSURE):  # unsure: Redis is down, let it through
        return JsonResponse({"results": [], "error": _("Too many look-ups.")}, status=429)
    try:
        building_id = int(http_request.GET.get("building", ""))
        category_id = int(http_request.GET.get("category", ""))
    except ValueError:
        return JsonResponse({"results": []})
    category = selectors.category_choices().leaves.get(category_id)
    building = row_by_pk(Building, building_id) if category is not None else None
    if building is None:
        return JsonResponse({"results": []})
    rows = _similar_rows(selectors.similar_open_requests(building=building, category=category))
    return JsonResponse({"results": rows}, json_dumps_params={"ensure_ascii": False})


@require_POST
def request_support(http_request):
    """ "Me too" on an open request found by similar_lookup."""
    form = SupportForm(http_request.POST)
    template = "resident_requests/support_done.html"
    if ratelimit.hit("support_ip", ratelimit.client_ip(http_request)):
        return _too_many(http_request, template, {"form": form})
    if not form.is_valid():
        return render(http_request, template, {"form": form}, status=400)
    data = form.cleaned_data
    match = None
    building = Building.objects.filter(pk=data["building"]).first()
    category = Category.objects.filter(pk=data["category"]).first()
    if building and category:
        for candidate in selectors.similar_open_requests(
            building=building, category=category, limit=20
        ):
            if selectors.support_ref(candidate) == data["ref"]:
                match = candidate
    if match is None:
        form.add_error(None, _("That request is no longer open. You can report the problem anew."))
        return render(http_request, template, {"form": form}, status=400)
    try:
        match = services.request_support(request=match, phone=data["phone"])
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return render(http_request, template, {"form": form}, status=400)
    public_path = reverse("resident_requests:public", args=[selectors.public_ref(match)])
    return render(
        http_request,
        template,
        {"done": True, "req": match, "public_url": http_request.build_absolute_uri(public_path)},
    )


@never_cache
def request_public(http_request, ref):
    """The public view of a request, the link "me too" supporters get: what the problem is,
    where (the building), its status and timeline; never a name, a phone, a room, the
    resident's text or a photo nobody approved."""
    request = selectors.request_for_public_ref(ref)
    if request is None:
        raise Http404
    names = [request.submitter_name]
    events = [
        {
            "created_at": event.created_at,
            "kind": event.get_kind_display(),
            "role": event.actor_role_display,
            "status": event.get_to_status_display() if event.to_status else "",
            "note": redact_text(event.public_text, names=names),
        }
        for event in selectors.public_timeline(request)
    ]
    # "Me too" from here too (the map of problems links here): the same form as the request
    # form's box, for an open request at a building (support is found by building and kind).
    support_form = None
    if request.is_open and request.building_id:
        support_form = SupportForm(
            initial={
                "ref": selectors.support_ref(request),
                "building": request.building_id,
                "category": request.category_id,
            }
        )
    return render(
        http_request,
        "resident_requests/public_detail.html",
        {
            "req": request,
            "events": events,
            "photos": selectors.public_photos(request),
            "support_form": support_form,
        },
    )


# --- The public map of problems ----------------------------------------------------------------

PROBLEMS_PAGE_SIZE = 20


@require_GET
def problems_public(http_request):
    """Known problems nearby (附近已知的问题): approved public requests on a map and in a list,
    filtered by street, community, kind and status. A filter not understood is left out."""
    form = ProblemFilterForm(http_request.GET or None)
    filters = {}
    if form.is_bound:
        form.is_valid()
        filters = form.selector_kwargs()
    requests = selectors.problems_public(**filters)
    page = Paginator(requests, PROBLEMS_PAGE_SIZE).get_page(http_request.GET.get("page"))
    # The map: the newest PUBLIC_MAP_MAX_POINTS with a place, whichever page the list is on.
    markers = [
        selectors.public_problem(r, with_text=False)
        for r in requests[: selectors.PUBLIC_MAP_MAX_POINTS]
    ]
    query = http_request.GET.copy()
    query.pop("page", None)
    return render(
        http_request,
        "resident_requests/problems.html",
        {
            "form": form,
            "page": page,
            "rows": [selectors.public_problem(r) for r in page.object_list],
            "markers": [m for m in markers if m["lat"] is not None and m["lng"] is not None],
            "capped": len(markers) == selectors.PUBLIC_MAP_MAX_POINTS,
            "query": query.urlencode(),
            "resolved_days": selectors.PUBLIC_MAP_RESOLVED_DAYS,
        },
    )


# --- Tracking ---------------------------------------------------------------------------------


@never_cache
def request_track(http_request):
    template = "resident_requests/track.html"
    if http_request.method != "POST":
        return render(http_request, template, {"form": TrackForm()})
    form = TrackForm(http_request.POST)
    if ratelimit.hit("track_ip", ratelimit.client_ip(http_request)):
        return _too_many(http_request, template, {"form": form})
    request = None
    if form.is_valid():
        request = selectors.request_for_tracking(
            code=form.cleaned_data["code"], phone_last4=form.cleaned_data["phone_last4"]
        )
    if request is None:
        # The same answer for an unknown code and a wrong phone: nothing to learn by guessing.
        # The form keeps what was typed, so that one wrong character is corrected, not retyped.
        return render(http_request, template, {"form": form, "not_found": form.is_valid()})
    return redirect("resident_requests:token", token=request.access_token)


@never_cache
def request_by_token(http_request, token):
    request = selectors.request_for_token(token)
    if request is None:
        raise Http404
    if http_request.method == "POST" and "progress_sms" in http_request.POST:
        enabled = http_request.POST["progress_sms"] == "on"
        services.request_set_progress_sms(request=request, enabled=enabled)
        if enabled:
            messages.success(http_request, _("You will get an SMS at each step again."))
        else:
            messages.success(
                http_request,
                _(
                    "You will get no more progress messages. You will still get the SMS that "
                    "asks you to rate the result."
                ),
            )
        return redirect("resident_requests:token", token=token)
    rating_form = None
    if request.status in TRANSITIONS["rate"].sources:  # the rating form while it may be rated
        rating_form = RatingForm(http_request.POST or None)
        if http_request.method == "POST" and rating_form.is_valid():
            try:
                services.request_rate(
                    request=request,
                    rating=rating_form.cleaned_data["rating"],
                    comment=rating_form.cleaned_data["comment"],
                )
            except ApplicationError as exc:
                messages.error(http_request, exc.message)
            else:
                messages.success(http_request, _("Thank you for your rating."))
            return redirect("resident_requests:token", token=token)
    elif http_request.method == "POST":
        messages.error(http_request, _("This request cannot be rated now."))
        return redirect("resident_requests:token", token=token)
    context = {
        "req": request,
        "events": selectors.public_timeline(request),
        "photos": selectors.request_photos(request),
        "rating_form": rating_form,
        "PhotoStage": PhotoStage,
    }
    return render(http_request, "resident_requests/track_detail.html", context)


# --- "My requests" by phone number -------------------------------------------------------------

# The phone verified by an SMS code, kept in the session: {"phone": …, "until": epoch seconds}.
MY_PHONE_KEY = "rr_my_phone"
MY_PHONE_SECONDS = 30 * 60
# The phone a code was sent to, waiting for the code.
MY_PHONE_PENDING_KEY = "rr_my_phone_pending"


def _verified_phone(http_request) -> str:
    data = http_request.session.get(MY_PHONE_KEY) or {}
    if not isinstance(data, dict) or data.get("until", 0) <= time.time():
        return ""
    return data.get("phone", "")


def _my_rows(requests):
    """What the list shows of each request. A request the phone only said "me too" to links to
    its public view: the private page is its own resident's."""
    return [
        {
            "code": r.code,
            "mine": r.is_mine,
            "status": r.status,
            "status_display": r.get_status_display(),
            "created": timezone.localtime(r.created_at),
            "category": str(r.category),
            # Without a building, the place the resident typed: only on their own requests.
            "building": r.building.address if r.building_id else (r.address if r.is_mine else ""),
            "url": (
                reverse("resident_requests:token", args=[r.access_token])
                if r.is_mine
                else reverse("resident_requests:public", args=[selectors.public_ref(r)])
            ),
        }
        for r in requests
    ]


@never_cache
def my_requests(http_request):
    """Step 1: the phone number (a code goes to it); once verified, the phone's requests."""
    phone = _verified_phone(http_request)
    if phone:
        rows = _my_rows(selectors.requests_for_phone(phone))
        return render(
            http_request,
            "resident_requests/my_requests.html",
            {"rows": rows, "masked_phone": mask_phone(phone)},
        )
    template = "resident_requests/my_phone.html"
    if http_request.method != "POST":
        return render(http_request, template, {"form": PhoneForm()})
    form = PhoneForm(http_request.POST)
    if ratelimit.hit("phone_code_ip", ratelimit.client_ip(http_request)):
        return _too_many(http_request, template, {"form": form})
    if not form.is_valid():
        return render(http_request, template, {"form": form})
    phone = form.cleaned_data["phone"]
    if ratelimit.hit("phone_code_phone", phone):
        return _too_many(http_request, template, {"form": form})
    try:
        services.phone_verification_start(phone=phone)
    except ApplicationError as exc:
        form.add_error("phone", exc.message)
        return render(http_request, template, {"form": form})
    # The same next step whether or not the phone has requests: nothing to learn by trying.
    http_request.session[MY_PHONE_PENDING_KEY] = phone
    return redirect("resident_requests:mine_code")


@never_cache
def my_requests_code(http_request):
    """Step 2: the code from the SMS."""
    phone = http_request.session.get(MY_PHONE_PENDING_KEY, "")
    if not phone:
        return redirect("resident_requests:mine")
    template = "resident_requests/my_code.html"
    context = {"masked_phone": mask_phone(phone)}
    if http_request.method != "POST":
        return render(http_request, template, {**context, "form": PhoneCodeForm()})
    if "resend" in http_request.POST:
        context["form"] = PhoneCodeForm()
        if ratelimit.hit("phone_code_ip", ratelimit.client_ip(http_request)) or ratelimit.hit(
            "phone_code_phone", phone
        ):
            return _too_many(http_request, template, context)
        services.phone_verification_start(phone=phone)  # a phone checked in step 1
        messages.success(http_request, _("A new code is on its way. The old one no longer works."))
        return redirect("resident_requests:mine_code")
    form = PhoneCodeForm(http_request.POST)
    context["form"] = form
    if ratelimit.hit("phone_verify_ip", ratelimit.client_ip(http_request)):
        return _too_many(http_request, template, context)
    if not form.is_valid():
        return render(http_request, template, context)
    try:
        services.phone_verification_check(phone=phone, code=form.cleaned_data["code"])
    except ApplicationError as exc:
        form.add_error("code", exc.message)
        return render(http_request, template, context)
    http_request.session.cycle_key()  # a new session key once the phone is proven
    http_request.session.pop(MY_PHONE_PENDING_KEY, None)
    http_request.session[MY_PHONE_KEY] = {"phone": phone, "until": time.time() + MY_PHONE_SECONDS}
    return redirect("resident_requests:mine")


@require_POST
def my_requests_leave(http_request):
    """ "Done": forget the phone on this device (a shared phone, a family member's)."""
    http_request.session.pop(MY_PHONE_KEY, None)
    http_request.session.pop(MY_PHONE_PENDING_KEY, None)
    messages.success(http_request, _("Your phone number is forgotten on this device."))
    return redirect("resident_requests:mine")


# --- Party members (党员接单) -----------------------------------------------------------------


class MemberLoginView(TwoStepLoginMixin, auth_views.LoginView):
    """The password, then (for a user with a two-factor device) the one-time code."""

    template_name = "resident_requests/member_login.html"
    redirect_authenticated_user = True
    extra_context = {"heading": gettext_lazy("Party members: sign in")}

    def get_default_redirect_url(self):
        return reverse("resident_requests:member_orders")


member_login = MemberLoginView.as_view()
member_logout = auth_views.LogoutView.as_view(
    next_page=reverse_lazy("resident_requests:member_login")
)
MEMBER_LOGIN = reverse_lazy("resident_requests:member_login")


def _member(http_request):
    person = person_for_user(http_request.user)
    if person is None:
        raise Http404(_("Your account is not linked to a party member."))
    return person


@login_required(login_url=MEMBER_LOGIN)
def member_orders(http_request):
    person = person_for_user(http_request.user)
    orders = list(selectors.requests_for_member(person)[:100]) if person else []
    # Oldest deadline first, each with its marker (as on 我的待办).
    open_orders = todo.orders_by_deadline(
        [r for r in orders if r.status in (Status.DISPATCHED, Status.TAKEN)]
    )
    done_orders = [r for r in orders if r.status not in (Status.DISPATCHED, Status.TAKEN)]
    return render(
        http_request,
        "resident_requests/member_orders.html",
        {"person": person, "open_orders": open_orders, "done_orders": done_orders[:20]},
    )


def _decline_arguments(http_request) -> dict:
    form = NoteForm(http_request.POST)
    if not form.is_valid():
        raise ApplicationError(_("Say why you cannot take it, so it can be dispatched again."))
    return {"reason": form.cleaned_data["note"]}


def _resolve_arguments(http_request) -> dict:
    form = ResolveForm(http_request.POST, http_request.FILES)
    if not form.is_valid():
        raise ApplicationError(" ".join(m for e in form.errors.values() for m in e))
    return {"note": form.cleaned_data["note"], "photos": photos_clean(form.cleaned_data["photos"])}


def _extension_arguments(http_request) -> dict:
    days = (http_request.POST.get("working_days") or "").strip()
    # The service says what is wrong with the number or the reason (empty, too many days).
    return {
        "working_days": int(days) if days.isdigit() and len(days) < 4 else 0,
        "reason": http_request.POST.get("reason", ""),
    }


def _suspension_arguments(http_request) -> dict:
    return {"reason": http_request.POST.get("reason", "")}


# The member page's input of each shape of the transitions table (transitions.Transition.form):
# the service's keyword arguments from the POST, or ApplicationError. The member's actions
# themselves are the table's transitions on the member surface.
MEMBER_INPUTS = {
    "note": lambda http_request: {},  # one button, no note
    "decline": _decline_arguments,
    "resolve": _resolve_arguments,
    "extension": _extension_arguments,
    "suspension": _suspension_arguments,
}


@login_required(login_url=MEMBER_LOGIN)
def member_order(http_request, code):
    person = _member(http_request)
    request = get_object_or_404(
        selectors.requests_for_member(person).select_related("category__parent"), code=code
    )
    show_phone = False
    if http_request.method == "POST":
        action = http_request.POST.get("action")
        transition = TRANSITIONS.get(action)
        try:
            if transition is not None and Surface.MEMBER in transition.surfaces:
                services.transition_run(
                    name=transition.name,
                    request=request,
                    actor=http_request.user,
                    arguments=MEMBER_INPUTS[transition.form](http_request),
                )
                messages.success(http_request, transition.done_message)
                request.refresh_from_db(fields=["assignee"])
                if request.assignee_id != person.pk:  # given back: no longer the member's
                    return redirect("resident_requests:member_orders")
            elif action == "phone":
                services.phone_disclosure_record(request=request, actor=http_request.user)
                show_phone = True
        except ApplicationError as exc:
            messages.error(http_request, exc.message)
        if not show_phone:
            return redirect("resident_requests:member_order", code=request.code)
        request.refresh_from_db()
    audit_personal_data_display(http_request, [request], ["address"] if request.address else [])
    return render(
        http_request,
        "resident_requests/member_order.html",
        {
            "req": request,
            "masked_phone": mask_phone(request.submitter_phone),
            "show_phone": show_phone,
            "photos": selectors.request_photos(request),
            "events": selectors.public_timeline(request),
            # The grid leader's note to this member when dispatching (never public).
            "dispatch_note": selectors.dispatch_note_for(request, person),
            "resolve_form": ResolveForm(),
            "decline_form": NoteForm(),
            "extension_days_max": services.extension_limits()[1],
            # The buttons: what the member may do now (selectors.transitions_available).
            "available": [
                t.name
                for t in selectors.transitions_available(
                    http_request.user, request, surface=Surface.MEMBER
                )
            ],
        },
    )
