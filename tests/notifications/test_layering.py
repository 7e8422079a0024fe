"""The outbox is generic: no module of the notifications app imports resident_requests (nor any
app built on it), at module level or inside a function. The request's message rules live in
resident_requests and register themselves when Django starts."""

import ast
from pathlib import Path

import pytest

import notifications

PACKAGE = Path(notifications.__file__).parent
# The apps above the outbox (the import layers, issue 14), except ops: notifications' admin
# still takes its audit mixin from ops until that mixin moves down into core.
ABOVE = {"resident_requests", "open311", "party_work", "dashboards", "imports"}


def imported_apps(source: str) -> set[str]:
    """The top-level packages a module's source imports, wherever the import statement is,
    and those named to importlib.import_module / import_string as a literal."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", ""))
            in {
                "import_module",
                "import_string",
                "__import__",
            }
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value.split(".")[0])
    return found


def test_the_scanner_finds_imports_wherever_they_are():
    source = (
        "import os\n"
        "def f():\n"
        "    from resident_requests.models import ResidentRequest\n"
        "    import party_work.outbox\n"
        "    return import_module('dashboards.tables')\n"
        "from . import models\n"
    )
    assert imported_apps(source) == {"os", "resident_requests", "party_work", "dashboards"}


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_no_notifications_module_imports_an_app_above_it(path):
    assert not imported_apps(path.read_text(encoding="utf-8")) & ABOVE


def test_the_request_templates_are_registered_by_resident_requests():
    from notifications.messages import TEMPLATES
    from resident_requests import messages as request_messages

    for key, template in request_messages.TEMPLATES.items():
        assert TEMPLATES[key] is template
