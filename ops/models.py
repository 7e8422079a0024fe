"""The audit log: who did what in the staff pages, and who saw a resident's full personal data.

Append-only. The model refuses updates and deletes, the admin offers neither, and on PostgreSQL a
trigger (migration 0002) rejects UPDATE and DELETE of audit rows from any client.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Logged in")
    LOGOUT = "logout", _("Logged out")
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOCKED_OUT = "locked_out", _("Locked out after repeated failures")
    ADMIN_ADD = "admin_add", _("Added in the admin")
    ADMIN_CHANGE = "admin_change", _("Changed in the admin")
    ADMIN_DELETE = "admin_delete", _("Deleted in the admin")
    PERSONAL_DATA_VIEW = "personal_data_view", _("Displayed full personal data")
    PERSONAL_DATA_LIST = "personal_data_list", _("Listed full personal data")
    PERSONAL_DATA_EXPORT = "personal_data_export", _("Exported a resident's data")
    PERSONAL_DATA_ERASE = "personal_data_erase", _("Erased a resident's data")
    RETENTION_ANONYMIZE = "retention_anonymize", _("Anonymized requests past retention")


class AuditEvent(models.Model):
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    # No database constraint: deleting a user must not touch (or be blocked by) the audit rows.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    # Frozen at the time of the event: the row stays readable after the user is renamed or gone.
    actor_username = models.CharField(_("login"), max_length=150, blank=True)
    action = models.CharField(
        _("action"), max_length=32, choices=AuditAction.choices, db_index=True
    )
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["actor", "-at"], name="audit_actor_at_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
        ]

    def __str__(self):
        return (
            f"{self.at:%Y-%m-%d %H:%M} · {self.actor_username or '—'} · {self.get_action_display()}"
        )

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("Audit events cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Audit events cannot be deleted."))
