"""Recording that a page showed people's full personal data, as the apps below ops call it.

The audit log belongs to ops, which sits above the apps whose pages show the data
(organization, grids, notifications, resident_requests, party_work). So that none of them
imports ops, they call `audit_personal_data_display` here, and ops registers the function that
writes its audit row when Django starts (OpsConfig.ready). Until then a call is refused: a
display that should leave an audit row must never pass silently without one.
"""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

# What a display of personal data may show, named in the audit rows' detail.
PERSONAL_DATA_KINDS = ("name", "phone", "address", "email")

_recorder: Callable | None = None


def register_personal_data_recorder(recorder: Callable) -> None:
    """Called once by the audit log's owner (ops) at startup; the last registration wins."""
    global _recorder
    _recorder = recorder


def audit_personal_data_display(
    request, objects, fields, page: str = "", *, as_list: bool = False, actor=None
):
    """Record that the user of `request` (or `actor`) was shown the full personal data
    (`fields`, kinds from PERSONAL_DATA_KINDS) of `objects` on `page`; see
    ops.services.audit_personal_data_display, which does the recording."""
    if _recorder is None:
        raise ImproperlyConfigured(
            "No personal-data audit recorder is registered: is the ops app installed?"
        )
    return _recorder(request, objects, fields, page, as_list=as_list, actor=actor)
