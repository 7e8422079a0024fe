"""The notification outbox: one row per message to one recipient over one channel.

Rows are written in the same transaction as the change that causes them and sent by a Celery
task after the commit; the row, not the broker, is the record of what still has to go out.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.privacy import mask_phone


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    WECOM = "wecom", _("WeCom group robot (企业微信)")
    DINGTALK = "dingtalk", _("DingTalk group robot (钉钉)")
    # The portal's own inbox (/inbox/): every message to a staff or member login gets a row
    # here too, so staff without a phone or an e-mail address still read it. Stored, not sent.
    INBOX = "inbox", _("In-portal inbox")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, will retry")
    DEAD = "dead", _("Dead: gave up")


# The states a send task may claim a row in ("sending" only once its lease has run out).
CLAIMABLE_STATUSES = [NotificationStatus.PENDING, NotificationStatus.FAILED]


class Notification(TimeStampedModel):
    """通知: a message to one recipient (a user, a person, or a bare phone or e-mail address)."""

    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient (user)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    recipient_person = models.ForeignKey(
        "organization.Person",
        verbose_name=_("recipient (person)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    # The address the channel delivers to, resolved when the row is written: a person who
    # changes their number later still gets the message that was meant for them then.
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    template_key = models.CharField(_("message template"), max_length=64, db_index=True)
    context = models.JSONField(_("template context"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    # The resident request the message is about, if any (no foreign key: the outbox outlives it).
    request_id = models.BigIntegerField(_("request id"), null=True, blank=True, db_index=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("reason of the last failure"), blank=True)
    # What makes the row unique: the cause (an event, a deadline, a day's digest), the
    # recipient and the channel. The same cause never writes two rows for one recipient.
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    enqueued_at = models.DateTimeField(_("last enqueued at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed by a worker at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # Inbox rows: when the recipient marked it read (empty: unread).
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications (outbox)")
        ordering = ["-created_at"]
        indexes = [
            # The sweeper's and the admin's filter: unsent rows by age.
            models.Index(
                fields=["status", "created_at"],
                name="notification_status_idx",
                condition=~Q(status="sent"),
            ),
            models.Index(fields=["channel", "status"], name="notification_channel_idx"),
            # A user's inbox, newest first, and its unread count.
            models.Index(
                fields=["recipient_user", "-created_at"],
                name="notification_inbox_idx",
                condition=Q(channel="inbox"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in NotificationStatus]),
                name="notification_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=[c.value for c in Channel]),
                name="notification_channel_valid",
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} · {self.template_key} · {self.recipient_display}"

    @property
    def recipient_display(self) -> str:
        """Who it is for, without showing a full phone number."""
        if self.recipient_person_id:
            return self.recipient_person.name
        if self.recipient_user_id:
            return self.recipient_user.get_username()
        if self.phone:
            return mask_phone(self.phone)
        if self.email:
            return self.email
        if self.channel in (Channel.WECOM, Channel.DINGTALK):
            return _("the group (%(count)d mentioned)") % {
                "count": len(self.context.get("mention", []))
            }
        return "—"


def new_link_token() -> str:
    """128 random bits in 22 URL-safe characters: short enough for an SMS, not guessable."""
    import secrets

    return secrets.token_urlsafe(16)


class ShortLink(models.Model):
    """A short link in a message (/n/<token>/) to a page of the portal.

    A resident's rating link is the request's own access-token URL, which is too long for one
    SMS; the short link carries its own 128-bit token and redirects there.
    """

    token = models.CharField(_("token"), max_length=32, unique=True, default=new_link_token)
    # A path on this portal, never another site: the redirect cannot be turned into an open one.
    target = models.CharField(_("target path"), max_length=300)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("short link")
        verbose_name_plural = _("short links")
        constraints = [
            models.CheckConstraint(
                condition=Q(target__startswith="/") & ~Q(target__startswith="//"),
                name="shortlink_target_is_local_path",
            )
        ]

    def __str__(self):
        return self.token
