"""The messages party_work sends through the notifications outbox.

notifications.messages keeps its templates in one dict; this app adds its own keys there when
Django starts (PartyWorkConfig.ready), so the outbox can render them like its own.
"""

from django.utils.translation import gettext_lazy as _

TEMPLATES = {
    # → the resident who booked a place, the day before the session (温暖20)
    "reception.reminder": (
        _("Reception day tomorrow"),
        _("Reminder: tomorrow %(date)s %(time)s your deputies receive you at %(place)s."),
    ),
}


def register_templates() -> None:
    from notifications import messages

    for key, (title, text) in TEMPLATES.items():
        messages.TEMPLATES.setdefault(key, messages.MessageTemplate(title=title, text=text))
