"""Message templates and their rendering: short texts in the recipient's language.

The outbox has no templates of its own: each app that sends messages registers its own when
Django starts (resident_requests.messages, party_work.outbox). A text is built only from the
context the outbox row holds; a deadline or a day in it is written as people read it, and a
one-time code is kept sealed in the row (seal_code) and opened only to render it.
"""

import datetime
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

# One Chinese SMS: 70 characters, the provider's signature (【京口党建】) included.
SMS_SINGLE_LIMIT = 70
# A longer text goes as a concatenated SMS of 67-character parts (the rest is the joining header).
SMS_PART_LIMIT = 67


@dataclass(frozen=True)
class MessageTemplate:
    """A message's title and text (lazy translations, %-formatted with the row's context).

    `prepare`, if given, turns the context into the values the text names (e.g. a code into
    words), in the recipient's language: it is called with a copy of the context, inside
    translation.override, and returns the values."""

    title: str
    text: str
    prepare: Callable[[dict], dict] | None = None


# Every app that sends messages adds its templates here when Django starts (register_templates
# in its AppConfig.ready): resident_requests.messages, party_work.outbox.
TEMPLATES: dict[str, MessageTemplate] = {}


def register_templates(templates: dict[str, MessageTemplate]) -> None:
    """Add an app's templates; a key already taken keeps its first template."""
    for key, template in templates.items():
        TEMPLATES.setdefault(key, template)


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
        if template.prepare is not None:
            values = template.prepare(values)
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
