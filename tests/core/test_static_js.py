"""The portal's own scripts put no data in as HTML (issue 19.4b): Leaflet renders a string given
to bindTooltip / bindPopup / setContent as HTML, so each gets an element built with textContent;
and no script sets innerHTML or outerHTML or calls insertAdjacentHTML / document.write."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LEAFLET_CONTENT = re.compile(
    r"\.(bindTooltip|bindPopup|setContent|setTooltipContent|setPopupContent)\(\s*"
    r"([^(),\s]*(?:\((?:[^()]|\([^()]*\))*\))?)"  # the first argument, with a call's parentheses
)
# What the scripts pass: elements built with textContent (stations.js textOnly, request_form.js
# pinLabel, dashboard.js `text`, stations.js `popup`).
ELEMENT_ARGUMENTS = re.compile(r"^(textOnly\(.*\)|pinLabel\(\)|text|popup)$")
HTML_SINKS = re.compile(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write")


def project_scripts():
    for path in ROOT.glob("*/static/**/*.js"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & {"vendor", "node_modules", ".venv"} or path.name.endswith(".min.js"):
            continue
        yield path


def test_the_scripts_are_found():
    names = {p.name for p in project_scripts()}
    assert {"stations.js", "dashboard.js", "request_form.js"} <= names


def test_leaflet_popups_and_tooltips_get_text_only():
    offending = []
    for path in project_scripts():
        for match in LEAFLET_CONTENT.finditer(path.read_text("utf-8")):
            if not ELEMENT_ARGUMENTS.match(match.group(2).strip()):
                offending.append(f"{path.name}: {match.group(0)}")
    assert offending == []


def test_no_script_writes_html():
    offending = [
        f"{path.name}: {m.group(0)}"
        for path in project_scripts()
        for m in HTML_SINKS.finditer(path.read_text("utf-8"))
    ]
    assert offending == []
