"""Reads of the Open311 app: keys, services (leaf categories), buildings, public request lists."""

import datetime
import math

from django.db.models import Prefetch, QuerySet

from grids.models import Building
from resident_requests.models import (
    OPEN_STATUSES,
    Category,
    RequestDepartment,
    RequestEvent,
    RequestPhoto,
    ResidentRequest,
)

from .models import ApiKey, Submission, key_digest

# A point given as lat/long files the request for the nearest building within this distance.
NEAR_METRES = 300
MAX_RECORDS = 1000
MAX_DAYS = 90


def api_key_for(raw_key: str) -> ApiKey | None:
    """The active key with this value, or None (unknown, revoked or malformed)."""
    raw_key = (raw_key or "").strip()
    if not raw_key or len(raw_key) > 100:
        return None
    return ApiKey.objects.filter(digest=key_digest(raw_key), revoked_at__isnull=True).first()


def services_public() -> QuerySet[Category]:
    """One Open311 service per active leaf category whose group is active too."""
    return (
        Category.objects.filter(active=True, parent__isnull=False, parent__active=True)
        .select_related("parent")
        .order_by("parent__sort_order", "parent__code", "sort_order", "code")
    )


def service_by_code(code: str) -> Category | None:
    if not code or len(code) > 40:
        return None
    return services_public().filter(code=code).first()


def building_by_key(text: str) -> Building | None:
    text = (text or "").strip()
    if not text.isdigit() or len(text) > 18:
        return None
    return Building.objects.filter(pk=int(text)).select_related("grid").first()


def building_choices() -> list[tuple[int, str]]:
    """(id, address) of every building: the values of the `building` attribute."""
    return list(Building.objects.order_by("address", "pk").values_list("pk", "address"))


def _metres(lat1, lng1, lat2, lng2) -> float:
    d_lat = math.radians(lat2 - lat1)
    d_lng = math.radians(lng2 - lng1)
    a = (
        math.sin(d_lat / 2) ** 2
        + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(d_lng / 2) ** 2
    )
    return 6_371_000 * 2 * math.asin(math.sqrt(min(1.0, a)))


def building_near(*, lat: float, lng: float) -> Building | None:
    """The nearest building within NEAR_METRES of the point (a bounding box, then exact)."""
    d_lat = NEAR_METRES / 111_320
    d_lng = NEAR_METRES / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    candidates = Building.objects.filter(
        lat__range=(lat - d_lat, lat + d_lat), lng__range=(lng - d_lng, lng + d_lng)
    ).select_related("grid")[:500]
    best, best_m = None, NEAR_METRES
    for building in candidates:
        metres = _metres(lat, lng, building.lat, building.lng)
        if metres <= best_m:
            best, best_m = building, metres
    return best


def _with_record_data(queryset: QuerySet[ResidentRequest]) -> QuerySet[ResidentRequest]:
    """Everything a record needs, in a fixed number of queries whatever the list's length."""
    return queryset.select_related(
        "category",
        "building",
        "grid__community__parent",
        "merged_into",
    ).prefetch_related(
        Prefetch(
            "photos",
            # Public: only the photos a grid leader approved.
            queryset=RequestPhoto.objects.filter(stage="submission", public_approved=True).order_by(
                "created_at", "id"
            ),
            to_attr="submission_photos",
        ),
        Prefetch(
            "department_links",
            queryset=RequestDepartment.objects.select_related("department").order_by("pk"),
            to_attr="departments_called",
        ),
        Prefetch(
            "events",
            queryset=RequestEvent.objects.exclude(public_note="")
            .only("request_id", "public_note", "created_at")
            .order_by("-created_at", "-id"),
            to_attr="public_events",
        ),
    )


def requests_public(
    *,
    public_ids: list[str] | None = None,
    service_codes: list[str] | None = None,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
    statuses: list[str] | None = None,
) -> list[ResidentRequest]:
    """GET requests: by public ids (which override every other filter), or by service,
    date range and open/closed; newest first, MAX_RECORDS at most."""
    queryset = ResidentRequest.objects.all()
    if public_ids:
        queryset = queryset.filter(public_id__in=public_ids)
    else:
        if service_codes:
            queryset = queryset.filter(category__code__in=service_codes)
        if start:
            queryset = queryset.filter(created_at__gte=start)
        if end:
            queryset = queryset.filter(created_at__lte=end)
        if statuses and set(statuses) != {"open", "closed"}:
            if "open" in statuses:
                queryset = queryset.filter(status__in=OPEN_STATUSES)
            else:
                queryset = queryset.exclude(status__in=OPEN_STATUSES)
    queryset = queryset.order_by("-created_at", "-id")[:MAX_RECORDS]
    return list(_with_record_data(queryset))


def request_public(public_id: str) -> ResidentRequest | None:
    """GET requests/<id>: by the public id only (a tracking code finds nothing)."""
    public_id = (public_id or "").strip().upper()
    if not public_id or len(public_id) > 24:
        return None
    return _with_record_data(ResidentRequest.objects.filter(public_id=public_id)).first()


def submission_by_token(token: str) -> Submission | None:
    if not token or len(token) > 32:
        return None
    return Submission.objects.filter(token=token).select_related("request").first()


def request_updates(
    *,
    start: datetime.datetime,
    end: datetime.datetime,
    public_ids: list[str] | None = None,
) -> list[RequestEvent]:
    """servicerequestupdates: the timeline events that changed a request's status or carry a
    note for the resident, oldest first, MAX_RECORDS at most."""
    queryset = RequestEvent.objects.filter(created_at__gte=start, created_at__lte=end)
    if public_ids:
        queryset = queryset.filter(request__public_id__in=public_ids)
    # Deadlines and "me too" change nothing a client follows; a call-back (回访) that reached
    # nobody is the staff's business (as on the resident's own page).
    queryset = queryset.exclude(kind__in=["overdue", "supported", "callback_not_reached"])
    return list(
        queryset.select_related("request", "department")
        .only(
            "pk",
            "kind",
            "to_status",
            "to_level",
            "public_note",
            "created_at",
            "department__name",
            "request__public_id",
            "request__rating",
            "request__submitter_name",  # what redact_text() hides from the notes
        )
        .order_by("created_at", "id")[:MAX_RECORDS]
    )
