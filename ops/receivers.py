"""Hooks that feed the audit log from events other code raises (auth, admin, phone disclosures).

Signals are the one place these events surface without editing Django or another app: logins
and logouts, Django admin's own change log (LogEntry), and resident_requests' PhoneDisclosure
rows (the requests app records every display of a full phone number there; each row is copied
here so the audit log is one list).
"""

import logging

from django.conf import settings
from django.contrib.auth import signals as auth_signals
from django.db.models.signals import post_save

from .models import AuditAction

logger = logging.getLogger("ops.audit")

ADMIN_ACTIONS = {1: AuditAction.ADMIN_ADD, 2: AuditAction.ADMIN_CHANGE, 3: AuditAction.ADMIN_DELETE}


def on_logged_in(sender, request, user, **kwargs):
    from .services import audit_record

    if user.is_staff:
        # Staff sessions end after STAFF_SESSION_HOURS, or when the browser closes.
        request.session.set_expiry(settings.STAFF_SESSION_SECONDS)
    audit_record(action=AuditAction.LOGIN, actor=user, request=request)


def on_logged_out(sender, request, user, **kwargs):
    from .services import audit_record

    if user is not None:
        audit_record(action=AuditAction.LOGOUT, actor=user, request=request)


def on_login_failed(sender, credentials, request=None, **kwargs):
    from .services import audit_record

    username = str(credentials.get("username", ""))[:150]
    logger.warning("login failed for %r", username)
    audit_record(action=AuditAction.LOGIN_FAILED, object_repr=username, request=request)


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    from .services import audit_record

    logger.warning("login locked out: %r from %s", username, ip_address)
    audit_record(
        action=AuditAction.LOCKED_OUT, object_repr=str(username or "")[:200], request=request
    )


def on_log_entry(sender, instance, created, raw=False, **kwargs):
    if not created or raw:
        return
    record_log_entries([instance])


def record_log_entries(entries) -> None:
    from .services import audit_record

    for entry in entries:
        ct = entry.content_type
        audit_record(
            action=ADMIN_ACTIONS.get(entry.action_flag, AuditAction.ADMIN_CHANGE),
            actor=entry.user,
            object_type=f"{ct.app_label}.{ct.model}" if ct else "",
            object_id=entry.object_id or "",
            object_repr=entry.object_repr,
            detail=entry.get_change_message(),
        )


def on_phone_disclosure(sender, instance, created, raw=False, **kwargs):
    """A resident's full phone shown (the requests app's PhoneDisclosure): one audit row, unless
    the page recorded its whole display already (the admin's request page: name, phone and
    address in one row). PhoneDisclosure stays the requests app's own record."""
    from .context import current_request
    from .services import audit_personal_data_display

    if not created or raw:
        return
    audit_personal_data_display(
        current_request(), [instance.request], ["phone"], actor=instance.user
    )


def _patch_bulk_admin_log() -> None:
    """Django bulk-creates LogEntry rows when one admin action deletes several objects, which
    sends no post_save: wrap log_actions so those rows reach the audit log too."""
    from django.contrib.admin.models import LogEntryManager

    original = LogEntryManager.log_actions
    if getattr(original, "_audited", False):
        return

    def log_actions(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        entries = result if isinstance(result, list) else [result]
        if len(entries) > 1:  # a single entry was saved and went through post_save
            record_log_entries(entries)
        return result

    log_actions._audited = True
    LogEntryManager.log_actions = log_actions


def connect() -> None:
    from axes.signals import user_locked_out
    from django.contrib.admin.models import LogEntry

    auth_signals.user_logged_in.connect(on_logged_in, dispatch_uid="ops_logged_in")
    auth_signals.user_logged_out.connect(on_logged_out, dispatch_uid="ops_logged_out")
    auth_signals.user_login_failed.connect(on_login_failed, dispatch_uid="ops_login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="ops_locked_out")
    post_save.connect(on_log_entry, sender=LogEntry, dispatch_uid="ops_log_entry")
    post_save.connect(
        on_phone_disclosure, sender="resident_requests.PhoneDisclosure", dispatch_uid="ops_phone"
    )
    _patch_bulk_admin_log()
