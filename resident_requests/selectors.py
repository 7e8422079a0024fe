"""Reads of resident requests: scoped lists, public look-ups, and what the deadline tasks need."""

import datetime
import hmac
import math
import re
import unicodedata

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from grids import selectors as grid_selectors
from grids.models import Building
from organization.models import Person
from organization.selectors import department_ids_of, scope_q

from .models import (
    OPEN_STATUSES,
    Category,
    RequestDepartment,
    RequestEvent,
    RequestPhoto,
    RequestSupporter,
    ResidentRequest,
    Status,
)

NEARBY_METRES = 250
SIMILAR_UNTOUCHED_AFTER = datetime.timedelta(days=30)
AUTO_CLOSE_AFTER = datetime.timedelta(days=7)


def visible_requests_q(user) -> Q:
    """Requests in the user's units' subtrees, plus those escalated to their departments."""
    q = scope_q(user, ResidentRequest.SCOPE_PATH)
    if user.is_authenticated and not user.is_superuser:
        departments = department_ids_of(user)
        if departments:
            q |= Q(
                Exists(
                    RequestDepartment.objects.filter(
                        request_id=OuterRef("pk"), department_id__in=departments
                    )
                )
            )
    return q


def requests_visible_to(user) -> QuerySet[ResidentRequest]:
    return ResidentRequest.objects.filter(visible_requests_q(user))


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


def request_for_token(token: str) -> ResidentRequest | None:
    if not token or len(token) > 64 or "\x00" in token:  # PostgreSQL refuses a NUL
        return None
    # The category's parent too: the pages show "环境卫生 › 垃圾清运" (Category.__str__).
    return (
        ResidentRequest.objects.filter(access_token=token)
        .select_related("category__parent")
        .first()
    )


def public_timeline(request: ResidentRequest) -> QuerySet[RequestEvent]:
    """The events a resident may see: their public notes, the actor by role and surname."""
    # "request" (its id) stays loaded: the related manager compares each row's request_id with
    # `request`, and a deferred request_id would cost one query per event.
    return request.events.only(
        "request", "kind", "actor_role", "actor_surname", "to_status", "public_note", "created_at"
    ).order_by("created_at", "id")


# The form's two-level picker is read on every view of the public form; categories change a few
# times a year, in the admin. Kept in the cache (shared by every process), dropped whenever a
# category is saved or deleted, and never older than CATEGORIES_TREE_TIMEOUT anyway (changes
# made by queryset.update() send no signal).
CATEGORIES_TREE_KEY = "rr:categories-tree:v1"
CATEGORIES_TREE_TIMEOUT = 300


def categories_tree() -> list[tuple[Category, list[Category]]]:
    """Active top-level categories with their active children, for the two-level picker."""
    tree = cache.get(CATEGORIES_TREE_KEY)
    if tree is None:
        categories = list(Category.objects.filter(active=True).order_by("sort_order", "code"))
        children: dict[int, list[Category]] = {}
        for category in categories:
            if category.parent_id:
                children.setdefault(category.parent_id, []).append(category)
        tree = [
            (c, children.get(c.pk, [])) for c in categories if not c.parent_id and c.pk in children
        ]
        cache.set(CATEGORIES_TREE_KEY, tree, CATEGORIES_TREE_TIMEOUT)
    return tree


@receiver(post_save, sender=Category, dispatch_uid="rr_categories_tree_saved")
@receiver(post_delete, sender=Category, dispatch_uid="rr_categories_tree_deleted")
def _categories_changed(**kwargs) -> None:
    # Now (this process sees its own change at once) and again after the commit (a page read
    # between the two could have cached the tree as it was before the change).
    cache.delete(CATEGORIES_TREE_KEY)
    transaction.on_commit(lambda: cache.delete(CATEGORIES_TREE_KEY))


def buildings_matching(text: str, limit: int = 10) -> QuerySet[Building]:
    """The buildings a resident means (5栋 = 五号楼 = 5号楼, estate or community names), best
    first, with their grids: grids' building search."""
    return grid_selectors.buildings_search(text, limit=limit)


def _metres(lat1, lng1, lat2, lng2) -> float:
    d_lat = math.radians(lat2 - lat1)
    d_lng = math.radians(lng2 - lng1)
    a = (
        math.sin(d_lat / 2) ** 2
        + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(d_lng / 2) ** 2
    )
    return 6_371_000 * 2 * math.asin(math.sqrt(a))


def similar_open_requests(
    *, building: Building, category: Category, limit: int = 5
) -> list[ResidentRequest]:
    """Open requests of the same category in the same building or within 250 m of it."""
    d_lat = NEARBY_METRES / 111_320
    d_lng = NEARBY_METRES / (111_320 * max(math.cos(math.radians(building.lat)), 0.01))
    # A request nobody touched for a month is likely stale: not offered as "me too".
    touched_since = timezone.now() - SIMILAR_UNTOUCHED_AFTER
    candidates = (
        ResidentRequest.objects.filter(category=category, status__in=OPEN_STATUSES)
        .filter(
            Q(updated_at__gte=touched_since)
            | Exists(
                RequestEvent.objects.filter(
                    request_id=OuterRef("pk"), created_at__gte=touched_since
                )
            )
        )
        .filter(
            Q(building=building)
            | Q(
                building__lat__range=(building.lat - d_lat, building.lat + d_lat),
                building__lng__range=(building.lng - d_lng, building.lng + d_lng),
            )
        )
        .select_related("building", "category")
        .order_by("-supporters_count", "-created_at")[:50]
    )
    found = [
        r
        for r in candidates
        if r.building_id == building.pk
        or _metres(building.lat, building.lng, r.building.lat, r.building.lng) <= NEARBY_METRES
    ]
    return found[:limit]


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


def requests_for_member(person: Person) -> QuerySet[ResidentRequest]:
    return (
        ResidentRequest.objects.filter(assignee=person)
        .select_related("category__parent", "building", "grid")
        .order_by("-dispatched_at", "-created_at")
    )


# --- For the deadline tasks (notifications issue) ----------------------------------------------


def requests_overdue(now: datetime.datetime | None = None) -> QuerySet[ResidentRequest]:
    """Open requests past a deadline that are not flagged overdue yet."""
    now = now or timezone.now()
    return ResidentRequest.objects.filter(status__in=OPEN_STATUSES, overdue=False).filter(
        Q(status=Status.SUBMITTED, accept_deadline__lt=now) | Q(resolve_deadline__lt=now)
    )


def requests_unrated_due(now: datetime.datetime | None = None) -> QuerySet[ResidentRequest]:
    """Resolved requests nobody rated within 7 days: request_close_unrated closes them."""
    now = now or timezone.now()
    return ResidentRequest.objects.filter(
        status=Status.RESOLVED, resolved_at__lte=now - AUTO_CLOSE_AFTER
    )


def department_links_overdue(now: datetime.datetime | None = None) -> QuerySet[RequestDepartment]:
    """Departments that have not reported in (报到) or not reported done in time."""
    now = now or timezone.now()
    return RequestDepartment.objects.filter(request__status__in=OPEN_STATUSES).filter(
        Q(acknowledged_at__isnull=True, acknowledge_deadline__lt=now)
        | Q(reported_done_at__isnull=True, done_deadline__lt=now)
    )
