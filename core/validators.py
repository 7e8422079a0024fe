"""Validators for personal data that several apps collect."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAINLAND_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def validate_mainland_mobile(value: str) -> None:
    if not MAINLAND_MOBILE_RE.match(value or ""):
        raise ValidationError(
            _("Enter a mainland China mobile number: 11 digits starting with 13 to 19."),
            code="invalid_phone",
        )


# C0 control characters but tab, line feed and carriage return: XML 1.0 forbids them
# (one \x0b in a description made the public Open311 feed not well-formed), terminals and
# spreadsheets act on them (\x1b starts an escape sequence), and no keyboard types them.
CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def strip_control_chars(value: str) -> str:
    """The text without C0 control characters (tab, newline and carriage return stay)."""
    return CONTROL_CHARS_RE.sub("", value)


def scrub_input(data):
    """Submitted data (a QueryDict, a dict from JSON, a list, a string) with every string's
    control characters stripped; files and other values as they are. The one function every
    input boundary calls: forms (core.forms.CleanInputMixin), the API's serializers
    (core.api.CleanInputSerializerMixin) and the Open311 endpoint."""
    from django.http import QueryDict

    if isinstance(data, str):
        return strip_control_chars(data)
    if isinstance(data, QueryDict):
        clean = QueryDict(mutable=True, encoding=data.encoding)
        for key, values in data.lists():
            clean.setlist(strip_control_chars(key), [scrub_input(v) for v in values])
        clean._mutable = data._mutable
        return clean
    if isinstance(data, dict):
        return {
            (strip_control_chars(k) if isinstance(k, str) else k): scrub_input(v)
            for k, v in data.items()
        }
    if isinstance(data, list | tuple):
        return type(data)(scrub_input(v) for v in data)
    return data
