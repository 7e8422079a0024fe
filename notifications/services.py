"""Writes to the notification outbox, and sending one row.

A generic outbox: apps above it (resident_requests.messages, party_work) decide who is told
what and call `notifications_create` inside their own transaction; the rows it writes are
committed with the caller's change and published to the broker after the commit. The publish
never raises into the caller and gives up within about a second; what it could not publish
stays pending and `outbox_sweep` publishes it again later.
"""

import datetime
import hashlib
import json
import logging
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from core.rows import execute, insert_new_rows, insert_row

from .channels import OutgoingMessage, PermanentSendError, TransientSendError, backend_for
from .messages import TemplateError, render
from .models import CLAIMABLE_STATUSES, Channel, Notification, NotificationStatus, ShortLink

logger = logging.getLogger(__name__)

ROBOT_CHANNELS = {Channel.WECOM, Channel.DINGTALK}


@dataclass
class Recipient:
    """Someone to tell: a user, a person, or a bare phone number or e-mail address.

    `audience` picks the channels (settings.NOTIFICATIONS_ROUTES): "resident", "staff",
    "department".
    """

    audience: str
    user: object = None
    person: object = None
    phone: str = ""
    email: str = ""
    language: str = ""
    extra: dict = field(default_factory=dict)

    def resolved(self) -> "Recipient":
        """Fill the addresses from the user or person; a user with a person is that person."""
        person, user = self.person, self.user
        if person is None and user is not None:
            person = getattr(user, "person", None) if _has_person(user) else None
        if user is None and person is not None and person.user_id:
            user = person.user
        return Recipient(
            audience=self.audience,
            user=user,
            person=person,
            phone=self.phone or (person.phone if person is not None else ""),
            email=self.email or (user.email if user is not None else ""),
            language=self.language,
            extra=self.extra,
        )

    @property
    def key(self) -> str:
        if self.person is not None:
            return f"person:{self.person.pk}"
        if self.user is not None:
            return f"user:{self.user.pk}"
        if self.phone:
            return f"phone:{self.phone}"
        return f"email:{self.email.lower()}"


def _has_person(user) -> bool:
    from organization.models import Person

    try:
        user.person  # noqa: B018 (a reverse one-to-one raises when missing)
    except Person.DoesNotExist:
        return False
    return True


def channels_for(template_key: str, audience: str) -> list[str]:
    routes = settings.NOTIFICATIONS_ROUTES
    for key in (f"{template_key}:{audience}", template_key, audience):
        if key in routes:
            return [c for c in routes[key] if c in Channel.values]
    return []


KEY_LENGTH = Notification._meta.get_field("idempotency_key").max_length


def _idempotency_key(*parts: str) -> str:
    """The row's key for a cause, a recipient and a channel. A key that would not fit keeps its
    head and ends in a digest of the whole, so that a long cause never makes two recipients' or
    two channels' keys the same (cutting it would, and one of them would get no message)."""
    key = "|".join(parts)
    if len(key) <= KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[: KEY_LENGTH - len(digest) - 1]}#{digest}"


def notifications_create(
    *,
    cause: str,
    template_key: str,
    context: dict,
    recipients: Iterable[Recipient],
    request_id: int | None = None,
) -> list[Notification]:
    """Write one outbox row per recipient and channel for `cause`, and publish after commit.

    `cause` names what happened ("event:42", "deadline:7:accept"): the same cause never writes two
    rows for the same recipient and channel, however often it is reported. Group robots get one
    row per cause with every staff recipient @-mentioned, not one message per person.
    Returns the rows written now (none when the cause was already reported).
    """
    return notifications_create_many(
        cause=cause, messages=[(template_key, context, recipients)], request_id=request_id
    )


def notifications_create_many(
    *,
    cause: str,
    messages: Iterable[tuple[str, dict, Iterable[Recipient]]],
    request_id: int | None = None,
) -> list[Notification]:
    """notifications_create for several messages of one cause, (template_key, context,
    recipients) each, in one INSERT: a new request's notice to staff and the resident's receipt.
    A recipient (and a group robot) gets the first message of the cause that names them.
    """
    rows: dict[str, Notification] = {}
    mentions: dict[str, list[str]] = {}
    default_language = settings.LANGUAGE_CODE
    for template_key, context, recipients in messages:
        for recipient in recipients:
            recipient = recipient.resolved()
            for channel in channels_for(template_key, recipient.audience):
                if channel in ROBOT_CHANNELS:
                    key = _idempotency_key(cause, "group", channel)
                    if key not in rows:
                        rows[key] = Notification(
                            channel=channel,
                            template_key=template_key,
                            context=dict(context),
                            language=default_language,
                            request_id=request_id,
                            idempotency_key=key,
                        )
                    if (
                        recipient.phone
                        and recipient.audience != "resident"
                        and rows[key].template_key == template_key
                    ):
                        mentions.setdefault(key, []).append(recipient.phone)
                    continue
                if channel == Channel.SMS and not recipient.phone:
                    continue
                if channel == Channel.EMAIL and not recipient.email:
                    continue
                key = _idempotency_key(cause, recipient.key, channel)
                rows.setdefault(
                    key,
                    Notification(
                        recipient_user=recipient.user,
                        recipient_person=recipient.person,
                        phone=recipient.phone if channel == Channel.SMS else "",
                        email=recipient.email if channel == Channel.EMAIL else "",
                        channel=channel,
                        template_key=template_key,
                        context={**context, **recipient.extra},
                        language=recipient.language or default_language,
                        request_id=request_id,
                        idempotency_key=key,
                    ),
                )
            if recipient.user is not None and recipient.audience != "resident":
                # The inbox copy: whatever the routes and addresses, a login reads it there.
                key = _idempotency_key(cause, recipient.key, Channel.INBOX)
                rows.setdefault(
                    key,
                    Notification(
                        recipient_user=recipient.user,
                        recipient_person=recipient.person,
                        channel=Channel.INBOX,
                        template_key=template_key,
                        context={**context, **recipient.extra},
                        language=recipient.language or default_language,
                        request_id=request_id,
                        idempotency_key=key,
                        status=NotificationStatus.SENT,
                        sent_at=timezone.now(),
                    ),
                )
    for key, phones in mentions.items():
        rows[key].context["mention"] = sorted(set(phones))
    if not rows:
        return []
    written = _insert_new(list(rows.values()))
    # Rows of this cause still pending from an earlier report are published again too: only
    # when some keys were not written now (the cause was reported before) is it looked up.
    written_keys = {row.idempotency_key for row in written}
    missing = [
        row.idempotency_key for row in rows.values() if row.idempotency_key not in written_keys
    ]
    again = []
    if missing:
        again = list(
            Notification.objects.filter(
                idempotency_key__in=missing, status=NotificationStatus.PENDING
            ).values_list("pk", flat=True)
        )
    sent = [row.pk for row in written if row.channel != Channel.INBOX]  # the inbox is stored
    enqueue_on_commit(sorted(sent + again))
    return written


def _insert_new(rows: list[Notification]) -> list[Notification]:
    """INSERT … ON CONFLICT DO NOTHING the rows; the rows written now, with their ids, in id
    order. A cause reported twice (even by two transactions at once) keeps its first rows and
    never raises into the caller's transaction.

    One statement where the database returns the inserted rows (PostgreSQL; SQLite 3.35+):
    RETURNING gives the id and the key of each row inserted, not of those that conflicted.
    """
    if not connection.features.can_return_rows_from_bulk_insert:
        keys = [row.idempotency_key for row in rows]
        existing = set(
            Notification.objects.filter(idempotency_key__in=keys).values_list(
                "idempotency_key", flat=True
            )
        )
        Notification.objects.bulk_create(
            [row for row in rows if row.idempotency_key not in existing], ignore_conflicts=True
        )
        return list(
            Notification.objects.filter(idempotency_key__in=keys)
            .exclude(idempotency_key__in=existing)
            .order_by("pk")
        )
    opts = Notification._meta
    # One INSERT, its SQL written once per count of rows (core.rows.insert_new_rows).
    returned = insert_new_rows(rows, returning=[opts.pk, opts.get_field("idempotency_key")])
    ids = {key: pk for pk, key in returned}
    written = []
    for row in rows:
        if row.idempotency_key in ids:
            row.pk = ids.pop(row.idempotency_key)
            row._state.adding = False
            row._state.db = connection.alias
            written.append(row)
    return sorted(written, key=lambda row: row.pk)


# The Celery task that sends a batch of rows (notifications.tasks.send_notifications). The tasks
# module sits above this one (its tasks call these services), so it is handed over when Django
# starts (NotificationsConfig.ready) instead of imported back from here.
_send_task = None


def register_send_task(task) -> None:
    global _send_task
    _send_task = task


def enqueue_on_commit(ids: list[int]) -> None:
    if ids:
        transaction.on_commit(partial(notifications_enqueue, ids=ids), robust=True)


def notifications_enqueue(*, ids: list[int], countdown: float | None = None) -> int:
    """Publish the rows' send tasks; the number of rows published. Never raises: what is not
    published stays for the sweeper.

    One message carries up to NOTIFICATIONS_BATCH_SIZE row ids (the rows of one commit, or a
    chunk of a sweep), not one message per row: publishing and the worker's per-message work
    are paid per chunk. The broker settings bound one publish to about a second (connect and
    socket timeouts, one quick retry); after the first failure the rest are left for the
    sweeper rather than each waiting for the same dead broker.
    """
    send_notifications = _send_task
    if send_notifications is None:
        raise ImproperlyConfigured("notifications: no send task registered (app not ready?)")
    size = max(1, settings.NOTIFICATIONS_BATCH_SIZE)
    published = 0
    try:
        # One producer (one broker connection from the pool) for all the chunks.
        with send_notifications.app.producer_or_acquire() as producer:
            for start in range(0, len(ids), size):
                chunk = list(ids[start : start + size])
                send_notifications.apply_async(
                    (chunk,),
                    queue=settings.NOTIFICATIONS_QUEUE,
                    producer=producer,
                    countdown=countdown,
                    # What monitoring shows of the arguments: the list as it is (Celery's own
                    # safe repr of it cost more than the rest of building the message).
                    argsrepr=repr((chunk,)),
                    kwargsrepr="{}",
                    # Sent to the queue by name (Celery's default direct exchange): nothing to
                    # declare for that on every message; the worker declares its queue.
                    declare=[],
                )
                published += len(chunk)
    except Exception as exc:  # the caller's commit stands whatever the broker does
        logger.warning(
            "notifications: could not publish %s of %s rows (%s); the sweeper will retry",
            len(ids) - published,
            len(ids),
            exc,
        )
    return published


def notification_resend(*, notifications: Iterable[Notification]) -> int:
    """Send failed or dead rows again from the start (the admin's "send again")."""
    ids = [n.pk for n in notifications]
    with transaction.atomic():
        count = Notification.objects.filter(
            pk__in=ids, status__in=[NotificationStatus.FAILED, NotificationStatus.DEAD]
        ).update(
            status=NotificationStatus.PENDING,
            attempts=0,
            next_attempt_at=None,
            claimed_at=None,
            enqueued_at=timezone.now(),
            updated_at=timezone.now(),
        )
        enqueue_on_commit(
            list(
                Notification.objects.filter(
                    pk__in=ids, status=NotificationStatus.PENDING
                ).values_list("pk", flat=True)
            )
        )
    return count


# On PostgreSQL the worker's bookkeeping takes few round trips: one statement claims a whole
# batch, one marks each row's outcome, each sent with SET LOCAL synchronous_commit TO OFF. A
# flush to disk per commit is what limits throughput on a slow disk; should PostgreSQL itself
# crash within a fraction of a second of such a commit, the row goes back to its earlier state
# and is sent again (at least once, like a worker that dies mid-send), never lost. The row's
# first write, in the caller's transaction, is as durable as the caller's.
_CLAIM_SQL = """
UPDATE {table} SET status = 'sending', attempts = attempts + 1, claimed_at = %s, updated_at = %s
WHERE id IN (
    SELECT id FROM {table}
    WHERE id = ANY(%s)
      AND (status IN ('pending', 'failed') OR (status = 'sending' AND claimed_at < %s))
    FOR UPDATE SKIP LOCKED
)
RETURNING {columns}
"""
_NOT_DURABLE = "SET LOCAL synchronous_commit TO OFF; "


def _claim(ids: list[int]) -> list[Notification]:
    """Take the rows of `ids` that are due for this worker, in id order; the others (sent,
    dead, someone else's) are left alone.

    The row lock (SELECT … FOR UPDATE SKIP LOCKED) makes two deliveries of the same task send
    once: the second skips the locked rows, or finds them "sending" under a live lease, or
    "sent". The claim time (claimed_at) is the claim's token: only its holder records the
    outcome (_finish).
    """
    if not ids:
        return []
    now = timezone.now()
    lease_expired = now - datetime.timedelta(seconds=settings.NOTIFICATIONS_SENDING_LEASE)
    if connection.vendor == "postgresql":
        fields = Notification._meta.concrete_fields
        sql = _CLAIM_SQL.format(
            table=Notification._meta.db_table,
            columns=", ".join(connection.ops.quote_name(f.column) for f in fields),
        )
        with connection.cursor() as cursor:
            # A prepared statement of the connection (core.rows.execute): planned once.
            execute(cursor, sql, [now, now, list(ids), lease_expired], before=_NOT_DURABLE)
            results = cursor.fetchall()
        rows = []
        for values in results:
            row = Notification.from_db(connection.alias, [f.attname for f in fields], values)
            if isinstance(row.context, str):
                row.context = json.loads(row.context)
            rows.append(row)
        return sorted(rows, key=lambda row: row.pk)
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids)
            .filter(
                Q(status__in=CLAIMABLE_STATUSES)
                | Q(status=NotificationStatus.SENDING, claimed_at__lt=lease_expired)
            )
            .order_by("pk")
        )
        for row in rows:
            row.status = NotificationStatus.SENDING
            row.attempts += 1
            row.claimed_at = now
            Notification.objects.filter(pk=row.pk).update(
                status=row.status, attempts=row.attempts, claimed_at=now, updated_at=now
            )
    return rows


def _finish(row: Notification, status: str, *, error: str = "", **fields) -> bool:
    """Record the outcome of `row`'s attempt, only while the claim is still ours."""
    if error:
        # Kept after a later success too: "sent on the 2nd attempt, after HTTP 500".
        fields["last_error"] = error[:2000]
    fields.update(status=status, updated_at=timezone.now())
    # Only while the claim is still ours: a worker that overran its lease must not overwrite
    # the outcome of the one that took the row over.
    if connection.vendor == "postgresql":
        table = Notification._meta.db_table
        names = sorted(fields)
        assignments = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in names)
        with connection.cursor() as cursor:
            execute(
                cursor,
                f"UPDATE {table} SET {assignments} "  # noqa: S608 (names are ours)
                "WHERE id = %s AND status = 'sending' AND claimed_at = %s",
                [*(fields[name] for name in names), row.pk, row.claimed_at],
                before=_NOT_DURABLE,
            )
            updated = cursor.rowcount
    else:
        updated = Notification.objects.filter(
            pk=row.pk, status=NotificationStatus.SENDING, claimed_at=row.claimed_at
        ).update(**fields)
    if not updated:
        logger.warning(
            "notifications: row %s was taken over before it was marked %s", row.pk, status
        )
    return bool(updated)


def _release(rows: list[Notification]) -> list[int]:
    """Give back claimed rows this worker will not send (its lease is running out): pending
    again, the attempt not counted; the ids given back."""
    released = []
    now = timezone.now()
    for row in rows:
        if (
            Notification.objects.filter(
                pk=row.pk, status=NotificationStatus.SENDING, claimed_at=row.claimed_at
            ).update(
                status=NotificationStatus.PENDING,
                attempts=F("attempts") - 1,
                claimed_at=None,
                enqueued_at=now,
                updated_at=now,
            )
            == 1
        ):
            released.append(row.pk)
    return released


def retry_delay(attempts: int) -> int:
    """The longest wait before attempt `attempts + 1` (exponential backoff, before jitter)."""
    return min(
        settings.NOTIFICATIONS_RETRY_BACKOFF * 2 ** max(attempts - 1, 0),
        settings.NOTIFICATIONS_RETRY_BACKOFF_MAX,
    )


def retry_countdown(attempts: int) -> float:
    """The wait before attempt `attempts + 1`: retry_delay with full jitter, so rows that
    failed together (a robot that was down) do not all come back at the same moment."""
    return random.uniform(0, retry_delay(attempts))  # noqa: S311 (not for security)


def message_for(row: Notification) -> OutgoingMessage:
    title, text = render(row.template_key, row.context, row.language)
    return OutgoingMessage(
        notification_id=row.pk,
        idempotency_key=row.idempotency_key,
        title=title,
        text=text,
        phone=row.phone,
        email=row.email,
        mention_phones=list(row.context.get("mention", [])),
    )


@dataclass
class SendOutcome:
    """What one attempt at one row came to: "sent", "dead", "failed" (a retry is due, after
    `attempts` attempts) or "released" (given back unsent, see notifications_send)."""

    outcome: str
    attempts: int = 0
    error: str = ""


def _send_one(row: Notification) -> SendOutcome:
    try:
        backend_for(row.channel).send(message_for(row))
    except (TemplateError, PermanentSendError) as exc:
        _finish(row, NotificationStatus.DEAD, error=str(exc))
        return SendOutcome("dead", row.attempts, str(exc))
    except Exception as exc:
        # Transient failures, and anything unexpected: bounded attempts either way.
        error = str(exc) if isinstance(exc, TransientSendError) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, TransientSendError):
            logger.exception("notifications: unexpected error sending row %s", row.pk)
        if row.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
            _finish(row, NotificationStatus.DEAD, error=error)
            return SendOutcome("dead", row.attempts, error)
        _finish(
            row,
            NotificationStatus.FAILED,
            error=error,
            next_attempt_at=timezone.now() + datetime.timedelta(seconds=retry_delay(row.attempts)),
        )
        return SendOutcome("failed", row.attempts, error)
    _finish(row, NotificationStatus.SENT, sent_at=timezone.now())
    return SendOutcome("sent", row.attempts)


def notifications_send(*, ids: list[int]) -> dict[int, SendOutcome]:
    """Claim the due rows of `ids` in one statement, send them one after another, record each
    outcome as soon as it is known; {id: outcome} for the rows claimed (the others were sent,
    dead or someone else's: skipped).

    Each row is marked right after its send, so a worker killed mid-batch sends again at most
    the row it was sending. A claim is a lease (NOTIFICATIONS_SENDING_LEASE): once it runs out,
    another worker may take the row over. So no send starts after half the lease has passed:
    the rows not yet sent by then are given back and published again (the first row is always
    sent: it is claimed just before, and a batch always makes progress). A row is never sent by
    two workers unless a single send outlasts half a lease (a send is bounded by
    NOTIFICATIONS_HTTP_TIMEOUT, a few seconds, against a lease of minutes).
    """
    started = time.monotonic()
    rows = _claim(ids)
    budget = settings.NOTIFICATIONS_SENDING_LEASE / 2
    outcomes: dict[int, SendOutcome] = {}
    for index, row in enumerate(rows):
        if index and time.monotonic() - started >= budget:
            rest = rows[index:]
            released = _release(rest)
            logger.warning(
                "notifications: lease half spent, %s of %s rows given back",
                len(released),
                len(rows),
            )
            outcomes.update({pk: SendOutcome("released") for pk in released})
            notifications_enqueue(ids=released)
            break
        outcomes[row.pk] = _send_one(row)
    return outcomes


def notification_send(*, notification_id: int) -> str:
    """Claim, send and record one row; the outcome: "sent", "dead", "skipped".

    Raises TransientSendError (after recording it as "failed") when another attempt may work.
    """
    result = notifications_send(ids=[notification_id]).get(notification_id)
    if result is None or result.outcome == "released":
        return "skipped"
    if result.outcome == "failed":
        raise TransientSendError(result.error)
    return result.outcome


def notifications_retry_later(outcomes: dict[int, SendOutcome]) -> int:
    """Publish the failed rows of a batch again after their backoff (one message per number of
    attempts so far); the rows published. What is not published is found by the sweeper."""
    by_attempts: dict[int, list[int]] = {}
    for pk, result in outcomes.items():
        if result.outcome == "failed":
            by_attempts.setdefault(result.attempts, []).append(pk)
    return sum(
        notifications_enqueue(ids=ids, countdown=retry_countdown(attempts))
        for attempts, ids in sorted(by_attempts.items())
    )


def outbox_sweep(*, limit: int = 5000) -> int:
    """Publish again the rows whose message was lost; the number of rows published.

    Pending rows older than the grace period (the broker was down at commit time, or Redis lost
    its queue), failed rows whose retry is long overdue, and "sending" rows whose lease ran out
    (their worker died mid-send).
    """
    now = timezone.now()
    grace = now - datetime.timedelta(seconds=settings.NOTIFICATIONS_PENDING_GRACE)
    lease_expired = now - datetime.timedelta(seconds=settings.NOTIFICATIONS_SENDING_LEASE)
    lost = (
        Q(status=NotificationStatus.PENDING, created_at__lt=grace)
        | Q(status=NotificationStatus.FAILED, next_attempt_at__lt=grace)
        | Q(status=NotificationStatus.SENDING, claimed_at__lt=lease_expired)
    ) & (Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=grace))
    ids = list(
        Notification.objects.filter(lost)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    Notification.objects.filter(pk__in=ids).update(enqueued_at=now)
    return notifications_enqueue(ids=ids)


def short_link_create(*, path: str) -> str:
    """A short link (/n/<token>/) to `path` on this portal, as a message carries it."""
    # One INSERT (the table's check constraint keeps the target a local path): a message is
    # written inside its caller's transaction, whose query count is pinned by tests.
    link = insert_row(ShortLink(target=path))  # ShortLink.objects.create, compiled once
    return settings.PORTAL_BASE_URL + reverse("notifications:short_link", args=[link.token])


def notifications_anonymize(*, request_ids: Iterable[int] = (), phone: str = "") -> int:
    """Forget the addresses and contexts of outbox rows (personal-data retention and erasure);
    the number of rows changed.

    `request_ids`: the rows about these requests that went out or were given up (pending ones
    are left to go out). `phone`: every row to this number, whatever its state.
    """
    changed = 0
    request_ids = list(request_ids)
    if request_ids:
        changed += (
            Notification.objects.filter(request_id__in=request_ids)
            .filter(status__in=[NotificationStatus.SENT, NotificationStatus.DEAD])
            .filter(~Q(phone="") | ~Q(email=""))
            .update(phone="", email="", context={})
        )
    if phone:
        changed += Notification.objects.filter(phone=phone).update(phone="", context={})
    return changed


def notifications_forget_finished(*, template_key: str, before: datetime.datetime) -> int:
    """Blank the address and context of the rows of `template_key` that went out (or were given
    up) before `before`: messages whose use is over, such as one-time codes. How many."""
    return (
        Notification.objects.filter(template_key=template_key, created_at__lt=before)
        .filter(status__in=[NotificationStatus.SENT, NotificationStatus.DEAD])
        .filter(~Q(phone="") | ~Q(email="") | ~Q(context={}))
        .update(phone="", email="", context={})
    )


# --- The in-portal inbox ------------------------------------------------------------------------


def inbox_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark `user`'s inbox rows read (`ids`: those only, else all); how many changed. Rows of
    other users are never touched, whatever ids are given."""
    rows = Notification.objects.filter(
        recipient_user_id=user.pk, channel=Channel.INBOX, read_at__isnull=True
    )
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    now = timezone.now()
    return rows.update(read_at=now, updated_at=now)
