"""Reads for the outbox: short links, which rows a staff user may read, the outbox's health."""

from collections.abc import Callable

from django.db.models import Count, Q, QuerySet

from .models import Channel, Notification, NotificationStatus, ShortLink

# The app whose objects rows are about (Notification.request_id) says which of them a staff user
# may see: resident_requests registers its visibility rule when Django starts
# (ResidentRequestsConfig.ready). Without one, a user reads only the rows addressed to them.
_REQUEST_SCOPE: list[Callable[[object], QuerySet]] = []


def request_scope_register(visible_ids: Callable[[object], QuerySet]) -> None:
    """`visible_ids(user)`: a queryset of the ids of the requests `user` may see."""
    _REQUEST_SCOPE[:] = [visible_ids]


def notifications_visible_q(user) -> Q:
    """The rows addressed to `user`, and those about the requests in their scope."""
    visible = Q(recipient_user_id=user.pk)
    for visible_ids in _REQUEST_SCOPE:
        visible |= Q(request_id__in=visible_ids(user))
    return visible


def short_link_target(token: str) -> str | None:
    if not token or len(token) > 32:
        return None
    return ShortLink.objects.filter(token=token).values_list("target", flat=True).first()


def outbox_counts() -> dict[str, int]:
    """Rows per status, for a quick look at the outbox's health."""
    counts = dict(
        Notification.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
    )
    return {status: counts.get(status, 0) for status in NotificationStatus.values}


def inbox_for(user) -> QuerySet[Notification]:
    """The messages addressed to `user` in the in-portal inbox, newest first."""
    return Notification.objects.filter(recipient_user_id=user.pk, channel=Channel.INBOX).order_by(
        "-created_at", "-id"
    )


def inbox_unread_count(user) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return inbox_for(user).filter(read_at__isnull=True).count()
