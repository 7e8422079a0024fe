"""Reads of the ops app: the audit log, a resident's data, the outbox depth, readiness."""

from django.db.models import Count, QuerySet

from organization.models import StaffRole
from organization.selectors import staff_roles

from .models import AuditEvent


def audit_log_readable_by(user) -> bool:
    """The organization department (and superusers) read the audit log; nobody else."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return StaffRole.ORG_DEPARTMENT in staff_roles(user) and user.has_perm("ops.view_auditevent")


def audit_events() -> QuerySet[AuditEvent]:
    return AuditEvent.objects.all()


def resident_data_for_phone(*, phone: str) -> dict:
    """What the portal holds about one resident, found by their phone number, as plain data."""
    from notifications.models import Notification
    from resident_requests.models import RequestSupporter, ResidentRequest

    requests = (
        ResidentRequest.objects.filter(submitter_phone=phone)
        .select_related("category", "grid", "building")
        .prefetch_related("events", "photos")
        .order_by("created_at")
    )
    data = {"phone": phone, "requests": [], "supporting": [], "notifications": []}
    for req in requests:
        data["requests"].append(
            {
                "code": req.code,
                "submitted_at": req.created_at.isoformat(),
                "channel": req.channel,
                "name": req.submitter_name,
                "phone": req.submitter_phone,
                "address": req.address,
                "lat": req.lat,
                "lng": req.lng,
                "grid": str(req.grid),
                "building": str(req.building) if req.building_id else "",
                "category": str(req.category),
                "description": req.description,
                "status": req.status,
                "closed_at": req.closed_at.isoformat() if req.closed_at else None,
                "rating": req.rating,
                "rating_comment": req.rating_comment,
                "photos": [photo.image.name for photo in req.photos.all()],
                "timeline": [
                    {
                        "at": event.created_at.isoformat(),
                        "what": event.kind,
                        "note": event.public_note,
                    }
                    for event in req.events.all()
                ],
            }
        )
    for support in RequestSupporter.objects.filter(phone=phone).select_related("request"):
        data["supporting"].append(
            {"request": support.request.code, "since": support.created_at.isoformat()}
        )
    for note in Notification.objects.filter(phone=phone).order_by("created_at"):
        data["notifications"].append(
            {
                "at": note.created_at.isoformat(),
                "channel": note.channel,
                "template": note.template_key,
                "status": note.status,
                "sent_at": note.sent_at.isoformat() if note.sent_at else None,
            }
        )
    return data


def outbox_depth() -> dict[str, int]:
    """Notifications not yet delivered, by status (the sent ones are not counted)."""
    from notifications.models import Notification, NotificationStatus

    rows = (
        Notification.objects.exclude(status=NotificationStatus.SENT)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    depth = {status.value: 0 for status in NotificationStatus if status != NotificationStatus.SENT}
    depth.update({row["status"]: row["n"] for row in rows})
    return depth
