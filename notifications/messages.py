"""Message templates: short texts in the recipient's language (Chinese, English available).

Every text fits one SMS (70 characters in Chinese with the signature), except the resident's
receipt (a tracking code and a link cannot both fit in one: it is two), and is built only from
the context the outbox row holds, which never includes a resident's phone number, name or text.
"""

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# One Chinese SMS: 70 characters, the provider's signature (【京口党建】) included.
SMS_SINGLE_LIMIT = 70
# A longer text goes as a concatenated SMS of 67-character parts (the rest is the joining header).
SMS_PART_LIMIT = 67


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
    # → the resident, right after submitting: the code to quote and the private link. Two SMS
    # parts: the code (21 characters) and a link (about 48) leave too little for words in one.
    "request.receipt": MessageTemplate(
        title=_("We received your request"),
        text=_("We received your request, code %(code)s. Follow it here: %(link)s"),
    ),
    # Progress, → the resident (unless they turned it off) and the residents who said "me too"
    "request.progress_accepted": MessageTemplate(
        title=_("Your request is accepted"),
        text=_("Request %(code)s (%(category)s) is accepted and will be handled soon."),
    ),
    "request.progress_dispatched": MessageTemplate(
        title=_("Your request is being handled"),
        text=_("Request %(code)s (%(category)s) was given to %(handler)s, who is handling it."),
    ),
    "request.progress_escalated": MessageTemplate(
        title=_("Your request was handed up"),
        text=_("Request %(code)s (%(category)s) was handed to %(handled_by)s to handle."),
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
    # → a resident who just said "me too", with the request's public view (not the private link)
    "request.supported": MessageTemplate(
        title=_("You follow a reported problem"),
        text=_('Thank you for your "me too". Follow the problem here: %(link)s'),
    ),
    # → the resident, with the link to read why
    "request.rejected": MessageTemplate(
        title=_("Your request was not accepted"),
        text=_("Your request was not accepted. The reason: %(link)s"),
    ),
    # → a resident listing their requests by phone number: the one-time code (sealed in the row)
    "resident.phone_code": MessageTemplate(
        title=_("Your code"),
        text=_("Your code to see your requests: %(otp)s. It works for 5 minutes. Tell no one."),
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
# The same levels as residents read them ("已转交街道办理").
RESIDENT_LEVEL_NAMES = {
    "grid": _("the grid leader"),
    "community": _("the community"),
    "street": _("the street office"),
    "department": _("the departments concerned"),
}
# Who handles a dispatched request, as residents read it: a role and a surname, never a name.
HANDLER_ROLES = {
    "party_member": _("party member"),
    "volunteer": _("volunteer"),
}


def _code_pad(nonce: str, digits: int) -> int:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"otp:{nonce}".encode(), hashlib.sha256)
    return int.from_bytes(digest.digest()[:8], "big") % 10**digits


def seal_code(code: str) -> dict:
    """A one-time code as an outbox row keeps it: added to a pad from SECRET_KEY and a random
    nonce, so that neither the table nor a backup of it holds the code in clear."""
    nonce = secrets.token_hex(8)
    sealed = (int(code) + _code_pad(nonce, len(code))) % 10 ** len(code)
    return {"otp_sealed": f"{sealed:0{len(code)}d}", "otp_nonce": nonce}


def open_code(sealed: str, nonce: str) -> str:
    digits = len(sealed)
    return f"{(int(sealed) - _code_pad(nonce, digits)) % 10**digits:0{digits}d}"


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
            values["handled_by"] = str(RESIDENT_LEVEL_NAMES.get(values["level"], values["level"]))
            values["level"] = str(LEVEL_NAMES.get(values["level"], values["level"]))
        if "handler_role" in values:
            role = HANDLER_ROLES.get(values["handler_role"], values["handler_role"])
            values["handler"] = f"{role} {values.get('handler_surname', '')}".strip()
        if values.get("otp_sealed"):
            try:
                values["otp"] = open_code(values["otp_sealed"], values.get("otp_nonce", ""))
            except ValueError as exc:
                raise TemplateError(f"template {template_key!r}: bad sealed code") from exc
        try:
            text = str(template.text) % values
        except (KeyError, TypeError, ValueError) as exc:
            raise TemplateError(f"template {template_key!r} lacks {exc}") from exc
        return str(template.title), text
