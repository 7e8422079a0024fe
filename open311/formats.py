"""GeoReport v2's two formats from one Python value: JSON as is, XML by the spec's element names.

A list becomes a root element with one child element per item (`services` → `service`); a list
inside a record becomes a wrapper with singular children (`attributes` → `attribute`,
`formats` → `format`). True/False are written `true`/`false`, None as an empty element.
Characters that XML 1.0 forbids (most control characters, lone surrogates, U+FFFE, U+FFFF) are
left out of the XML, so every document parses whatever text the database holds.
`xml_to_data` reads such XML back, so tests can check both formats carry the same content.
"""

import json
import re
from xml.etree import ElementTree as ET

from django.http import HttpResponse

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}

# Wrapper element → its children's element.
SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "service_requests_updates": "request_update",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


# Everything outside XML 1.0's Char production (https://www.w3.org/TR/xml/#charsets).
XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters an XML 1.0 document may not contain."""
    return XML_FORBIDDEN.sub("", text)


def _text(value) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return xml_safe(str(value))


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        child_name = SINGULAR[element.tag]
        for item in value:
            _fill(ET.SubElement(element, child_name), item)
    else:
        element.text = _text(value)


def data_to_xml(root: str, data) -> bytes:
    element = ET.Element(root)
    _fill(element, data)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8")


def _read(element: ET.Element):
    children = list(element)
    if element.tag in SINGULAR:
        return [_read(child) for child in children]
    if not children:
        return element.text or ""
    return {child.tag: _read(child) for child in children}


def xml_to_data(content: bytes):
    """The Python value an XML answer carries, every leaf as text (for comparisons)."""
    return _read(ET.fromstring(content))  # noqa: S314 - our own answers, in tests


def as_text(value):
    """The JSON value with every leaf as XML writes it: compare with xml_to_data."""
    if isinstance(value, dict):
        return {key: as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_text(item) for item in value]
    return _text(value)


def render(data, fmt: str, *, root: str, status: int = 200) -> HttpResponse:
    if fmt == "json":
        # A lone surrogate cannot be UTF-8: replaced rather than a server error.
        body = json.dumps(data, ensure_ascii=False).encode("utf-8", "replace")
    else:
        body = data_to_xml(root, data)
    response = HttpResponse(body, content_type=FORMATS.get(fmt, FORMATS["xml"]), status=status)
    # Any site's scripts may read the public answers (the spec's clients are often web pages).
    response["Access-Control-Allow-Origin"] = "*"
    return response


def render_errors(fmt: str, status: int, *descriptions: str) -> HttpResponse:
    errors = [{"code": status, "description": str(d)} for d in descriptions]
    return render(errors, fmt if fmt in FORMATS else "xml", root="errors", status=status)
