"""Open311 GeoReport v2: the API keys of the clients that file requests, and what they filed.

A key is shown once when it is issued (admin); only its SHA-256 digest is stored, so a leaked
database does not leak working keys. Revoking a key keeps its row: the requests it filed still
point at it.
"""

import hashlib
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


def key_digest(raw_key: str) -> str:
    """What is stored of a key (ApiKey.digest), and what a presented key is looked up by."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


def new_submission_token() -> str:
    return secrets.token_urlsafe(16)


class ApiKey(TimeStampedModel):
    name = models.CharField(
        _("client"), max_length=100, help_text=_("Who uses the key, e.g. the 12345 hotline.")
    )
    contact = models.CharField(
        _("contact"),
        max_length=200,
        blank=True,
        help_text=_("Whom to call about this client: a person, a phone or an e-mail address."),
    )
    prefix = models.CharField(_("key starts with"), max_length=8, db_index=True, editable=False)
    digest = models.CharField(_("key digest (SHA-256)"), max_length=64, unique=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Submission(models.Model):
    """A request filed through Open311: which key filed it, its token, the media URL given."""

    request = models.OneToOneField(
        "resident_requests.ResidentRequest",
        verbose_name=_("request"),
        on_delete=models.CASCADE,
        related_name="open311_submission",
    )
    api_key = models.ForeignKey(
        ApiKey,
        verbose_name=_("API key"),
        on_delete=models.PROTECT,
        related_name="submissions",
    )
    token = models.CharField(
        _("token"), max_length=32, unique=True, default=new_submission_token, editable=False
    )
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 submission")
        verbose_name_plural = _("Open311 submissions")
        ordering = ["-created_at"]

    def __str__(self):
        return self.token
