"""Writes of the ops app: audit rows, and the personal-data duties (retention, export, erasure).

The personal-data functions operate on the resident_requests and notifications models, whose
owners keep every other write; these only blank personal fields and never change a status, a
date, a category or a count, so the statistics stay as they were.
"""

import datetime
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.net import client_ip

from .context import current_request, current_request_id
from .models import AuditAction, AuditEvent

logger = logging.getLogger(__name__)

# A mainland mobile number inside free text ("电话13812345678").
PHONE_IN_TEXT_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
PHONE_MASK = "***********"
# About 100 m: keeps a request on the map of its neighbourhood, not on a doorstep.
ANONYMIZED_COORDINATE_DECIMALS = 3
ANONYMIZE_BATCH = 500


def audit_record(
    *,
    action: str,
    actor=None,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    detail: str = "",
    request=None,
) -> AuditEvent:
    """Append one row to the audit log (the request is found by itself when there is one)."""
    request = request if request is not None else current_request()
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    event = AuditEvent(
        actor=actor if actor is not None and actor.pk else None,
        actor_username=actor.get_username() if actor is not None else "",
        action=action,
        object_type=object_type[:100],
        object_id=str(object_id)[:64],
        object_repr=str(object_repr)[:200],
        detail=detail,
        ip_address=client_ip(request),
        request_id=current_request_id()[:64],
    )
    # The actor is the user of this very request (or a given one): checking that it exists would
    # cost a SELECT on every audited page view.
    event.full_clean(exclude=["actor"])
    event.save()
    return event


# What a display of personal data may show, named in the audit rows' detail.
PERSONAL_DATA_KINDS = ("name", "phone", "address", "email")


def _audited_keys(request) -> set:
    """(model label, pk) of the objects already recorded as displayed in this HTTP request."""
    if request is None:
        return set()
    keys = getattr(request, "_personal_data_audited", None)
    if keys is None:
        keys = set()
        request._personal_data_audited = keys
    return keys


def _display_repr(obj) -> str:
    """Never str(obj), which is often the person's name or address: the object's code (a
    request's tracking code is not personal), else the model and the id."""
    return getattr(obj, "code", "") or f"{obj._meta.verbose_name} #{obj.pk}"


def audit_personal_data_display(
    request, objects, fields, page: str = "", *, as_list: bool = False, actor=None
) -> AuditEvent | None:
    """Record that the user of `request` (or `actor`) was shown the full personal data
    (`fields`, kinds from PERSONAL_DATA_KINDS) of `objects` on `page` (default: the URL name of
    the view).

    One row per page view, whatever the number of objects (a list's row names their ids): one
    INSERT, no SELECT. Objects already recorded in this HTTP request (e.g. a phone reveal
    copied from the requests app) are left out, so one display is one row.
    """
    fields = list(fields)
    unknown = set(fields) - set(PERSONAL_DATA_KINDS)
    if unknown:
        raise ValueError(f"unknown personal data kinds: {sorted(unknown)}")
    if not fields:
        return None
    done = _audited_keys(request)
    shown = [
        obj
        for obj in objects
        if obj is not None
        and obj.pk is not None
        and (obj._meta.label_lower, str(obj.pk)) not in done
    ]
    if not shown:
        return None
    if not page and request is not None and getattr(request, "resolver_match", None):
        page = request.resolver_match.view_name
    labels = sorted({obj._meta.label_lower for obj in shown})
    lines = [f"fields: {', '.join(fields)}", f"page: {page or '?'}"]
    if len(shown) == 1 and not as_list:
        obj = shown[0]
        action, object_id = AuditAction.PERSONAL_DATA_VIEW, str(obj.pk)
        object_repr = _display_repr(obj)
    else:
        action, object_id = AuditAction.PERSONAL_DATA_LIST, ""
        object_repr = f"{len(shown)} × {shown[0]._meta.verbose_name_plural}"
        lines.append(f"ids: {', '.join(str(obj.pk) for obj in shown)}")
    event = audit_record(
        action=action,
        actor=actor,
        object_type=", ".join(labels),
        object_id=object_id,
        object_repr=object_repr,
        detail="\n".join(lines),
        request=request,
    )
    done.update((obj._meta.label_lower, str(obj.pk)) for obj in shown)
    return event


def scrub_phones(text: str) -> str:
    return PHONE_IN_TEXT_RE.sub(PHONE_MASK, text or "")


@dataclass
class AnonymizeResult:
    requests: int = 0
    supporters: int = 0
    photos: int = 0
    notifications: int = 0
    phone_codes: int = 0


def _anonymize_batch(request_ids: list[int], result: AnonymizeResult) -> None:
    """Blank the personal fields of these requests and of what hangs off them. In a transaction."""
    from notifications.models import Notification, NotificationStatus
    from resident_requests.models import (
        PhotoStage,
        RequestPhoto,
        RequestSupporter,
        ResidentRequest,
    )

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
    result.notifications += (
        Notification.objects.filter(request_id__in=ids)
        .filter(status__in=[NotificationStatus.SENT, NotificationStatus.DEAD])
        .filter(~Q(phone="") | ~Q(email=""))
        .update(phone="", email="", context={})
    )


def retention_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)


def requests_anonymize_expired(*, now: datetime.datetime | None = None) -> AnonymizeResult:
    """Anonymize every finished request closed longer ago than PERSONAL_DATA_RETENTION_DAYS.

    Runs in batches, each in its own transaction, skipping rows another transaction holds (they
    are taken on the next run). Idempotent: anonymized rows have a blank phone and are skipped.
    """
    from resident_requests.models import FINAL_STATUSES, ResidentRequest

    cutoff = retention_cutoff(now)
    result = AnonymizeResult()
    expired = (
        ResidentRequest.objects.filter(status__in=FINAL_STATUSES)
        .exclude(submitter_phone="")
        .annotate(finished_at=Coalesce("closed_at", "updated_at"))
        .filter(finished_at__lt=cutoff)
        .order_by("pk")
    )
    last_pk = 0
    while True:
        ids = list(expired.filter(pk__gt=last_pk).values_list("pk", flat=True)[:ANONYMIZE_BATCH])
        if not ids:
            break
        last_pk = ids[-1]
        with transaction.atomic():
            _anonymize_batch(ids, result)
    # The SMS codes of "my requests" by phone: a day is plenty (they work for 5 minutes).
    from resident_requests.services import phone_verifications_purge

    result.phone_codes = phone_verifications_purge(now=now)
    if result.requests:
        audit_record(
            action=AuditAction.RETENTION_ANONYMIZE,
            detail=(
                f"requests={result.requests} supporters={result.supporters} "
                f"photos={result.photos} notifications={result.notifications} "
                f"cutoff={cutoff.isoformat()}"
            ),
        )
    logger.info(
        "retention: anonymized %s requests finished before %s", result.requests, cutoff.isoformat()
    )
    return result


def resident_data_export(*, phone: str, actor=None) -> dict:
    """Everything the portal holds about the resident with this phone number (PIPL art. 45)."""
    from .selectors import resident_data_for_phone

    data = resident_data_for_phone(phone=phone)
    audit_record(
        action=AuditAction.PERSONAL_DATA_EXPORT,
        actor=actor,
        object_type="resident",
        object_repr=_masked(phone),
        detail=f"requests={len(data['requests'])} supporting={len(data['supporting'])}",
    )
    return data


def resident_data_erase(*, phone: str, include_open: bool = False, actor=None) -> AnonymizeResult:
    """Anonymize this resident's requests and remove their phone from the portal (PIPL art. 47).

    Open requests still need the phone to be handled: they are erased only with include_open.
    """
    from notifications.models import Notification
    from resident_requests.models import OPEN_STATUSES, RequestSupporter, ResidentRequest

    phone = phone.strip()
    if not phone:
        raise ApplicationError(_("Give the resident's phone number."))
    mine = ResidentRequest.objects.filter(submitter_phone=phone)
    open_count = mine.filter(status__in=OPEN_STATUSES).count()
    if open_count and not include_open:
        raise ApplicationError(
            _(
                "%(count)s of this resident's requests are still open and need the phone number "
                "to be handled. Wait until they are closed, or erase them anyway with "
                "--include-open."
            )
            % {"count": open_count}
        )
    result = AnonymizeResult()
    with transaction.atomic():
        ids = list(mine.values_list("pk", flat=True))
        if ids:
            _anonymize_batch(ids, result)
        result.supporters += RequestSupporter.objects.filter(phone=phone).delete()[0]
        result.notifications += Notification.objects.filter(phone=phone).update(
            phone="", context={}
        )
        audit_record(
            action=AuditAction.PERSONAL_DATA_ERASE,
            actor=actor,
            object_type="resident",
            object_repr=_masked(phone),
            detail=(
                f"requests={result.requests} supporters={result.supporters} "
                f"photos={result.photos} notifications={result.notifications}"
            ),
        )
    return result


def _masked(phone: str) -> str:
    from core.privacy import mask_phone

    return mask_phone(phone)
