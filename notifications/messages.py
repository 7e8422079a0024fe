"""Message templates: short texts in the recipient's language (Chinese, English available).

Every text fits one SMS (70 characters in Chinese with the signature) and is built only from the
context the outbox row holds, which never includes a resident's phone number.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# One Chinese SMS: 70 characters, the provider's signature (【京口党建】) included.
SMS_SINGLE_LIMIT = 70


@dataclass(frozen=True)
class MessageTemplate:
    title: str
    text: str


TEMPLATES: dict[str, MessageTemplate] = {
    # → the grid leader and the community's duty staff
    "request.submitted": MessageTemplate(
        title=_("New request"),
        text=_("New request %(code)s (%(grid)s, %(category)s): accept it by %(deadline)s."),
    ),
    # → the party member it was dispatched to; the link opens the order on /member/
    "request.dispatched": MessageTemplate(
        title=_("New order for you"),
        text=_("A new order for you (%(category)s): %(link)s"),
    ),
    # → the staff of the new level, or each department called in (吹哨 / 报到)
    "request.escalated": MessageTemplate(
        title=_("Request escalated"),
        text=_(
            "Request %(code)s (%(category)s) is now with the %(level)s: respond by %(deadline)s."
        ),
    ),
    # → whoever must act, 24 hours before a deadline
    "request.deadline_soon": MessageTemplate(
        title=_("Deadline in 24 hours"),
        text=_("Reminder: request %(code)s (%(category)s) is due by %(deadline)s."),
    ),
    # → whoever must act, once a deadline has passed
    "request.overdue": MessageTemplate(
        title=_("Request overdue"),
        text=_("Request %(code)s (%(category)s) is overdue since %(deadline)s: act now."),
    ),
    # → the staff one level up (督办)
    "request.overdue_supervise": MessageTemplate(
        title=_("Overdue request to supervise"),
        text=_("Please supervise: request %(code)s in %(grid)s is overdue since %(deadline)s."),
    ),
    # → the resident, with the link to rate the result
    "request.resolved": MessageTemplate(
        title=_("Your request is resolved"),
        text=_("The problem you reported has been resolved. Please rate it: %(link)s"),
    ),
    # → the residents who said "me too"
    "request.resolved_follower": MessageTemplate(
        title=_("Your request is resolved"),
        text=_("The problem you also reported (%(category)s) has been resolved."),
    ),
    # → the resident, with the link to read why
    "request.rejected": MessageTemplate(
        title=_("Your request was not accepted"),
        text=_("Your request was not accepted. The reason: %(link)s"),
    ),
    # → each community secretary, every morning
    "digest.daily": MessageTemplate(
        title=_("Daily digest"),
        text=_("%(unit)s, %(date)s: %(open)s open requests, %(overdue)s of them overdue."),
    ),
}

# Handling levels as a message names them (short: every character counts in an SMS).
LEVEL_NAMES = {
    "grid": _("grid"),
    "community": _("community"),
    "street": _("street"),
    "department": _("departments"),
}


class TemplateError(Exception):
    """A row whose template or context cannot produce a message (retrying will not help)."""


def format_when(value: str | datetime.datetime) -> str:
    """A deadline as people read it: '11月25日 18:00' / 'Nov 25 18:00', in local time."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    value = timezone.localtime(value) if timezone.is_aware(value) else value
    # Translators: a date and time in a short message, strftime format.
    return value.strftime(gettext("%b %d %H:%M"))


def render(template_key: str, context: dict, language: str = "zh-hans") -> tuple[str, str]:
    """(title, text) of a message in `language`."""
    template = TEMPLATES.get(template_key)
    if template is None:
        raise TemplateError(f"unknown message template {template_key!r}")
    with translation.override(language):
        values = dict(context)
        if values.get("deadline"):
            values["deadline"] = format_when(values["deadline"])
        if values.get("date"):
            # Translators: a day in a short message, strftime format.
            values["date"] = datetime.date.fromisoformat(values["date"]).strftime(gettext("%b %d"))
        if "level" in values:
            values["level"] = str(LEVEL_NAMES.get(values["level"], values["level"]))
        try:
            text = str(template.text) % values
        except (KeyError, TypeError, ValueError) as exc:
            raise TemplateError(f"template {template_key!r} lacks {exc}") from exc
        return str(template.title), text
