"""Writes of the ops app: audit rows, and the personal-data duties (retention, export, erasure).

The personal-data duties decide when and audit what was done; the blanking itself is the
owners' (resident_requests.services.requests_anonymize, notifications.services.
notifications_anonymize), which never change a status, a date, a category or a count, so the
statistics stay as they were.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import PERSONAL_DATA_KINDS
from core.exceptions import ApplicationError
from core.net import client_ip

from .context import current_request, current_request_id
from .models import AuditAction, AuditEvent

logger = logging.getLogger(__name__)


# `make mutants` mutates the retention part of this module (from AnonymizeResult on), not the
# audit rows and the export.
# pragma: no mutate start
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


# pragma: no mutate end
@dataclass
class AnonymizeResult:
    requests: int = 0
    supporters: int = 0
    photos: int = 0
    notifications: int = 0
    phone_codes: int = 0

    def add(self, anonymized) -> None:
        """Count what a resident_requests anonymization changed."""
        self.requests += anonymized.requests
        self.supporters += anonymized.supporters
        self.photos += anonymized.photos
        self.notifications += anonymized.notifications


def retention_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)


def requests_anonymize_expired(*, now: datetime.datetime | None = None) -> AnonymizeResult:
    """Anonymize every finished request closed longer ago than PERSONAL_DATA_RETENTION_DAYS.

    Runs in batches, each in its own transaction, skipping rows another transaction holds (they
    are taken on the next run). Idempotent: anonymized rows have a blank phone and are skipped.
    """
    from resident_requests import services as request_services

    cutoff = retention_cutoff(now)
    result = AnonymizeResult()
    result.add(request_services.requests_anonymize(before=cutoff))
    # The SMS codes of "my requests" by phone: a day is plenty (they work for 5 minutes).
    result.phone_codes = request_services.phone_verifications_purge(now=now)
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


# pragma: no mutate start
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


# pragma: no mutate end
def resident_data_erase(*, phone: str, include_open: bool = False, actor=None) -> AnonymizeResult:
    """Anonymize this resident's requests and remove their phone from the portal (PIPL art. 47).

    Open requests still need the phone to be handled: they are erased only with include_open.
    """
    from notifications import services as notification_services
    from resident_requests import services as request_services
    from resident_requests.models import OPEN_STATUSES, ResidentRequest

    phone = phone.strip()
    if not phone:
        raise ApplicationError(_("Give the resident's phone number."))
    open_count = ResidentRequest.objects.filter(
        submitter_phone=phone, status__in=OPEN_STATUSES
    ).count()
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
        result.add(request_services.requests_anonymize(phone=phone))
        result.notifications += notification_services.notifications_anonymize(phone=phone)
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
