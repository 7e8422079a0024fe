"""{{ text|redact }}: staff free text on public pages, through core.privacy.redact_text()."""

from django import template

from core.privacy import redact_text

register = template.Library()


@register.filter
def redact(text):
    return redact_text(text)
