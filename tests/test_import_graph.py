"""The import graph (issue 14): apps import only downward, and no two modules import each other.

The layers are import-linter contracts in pyproject.toml ([tool.importlinter]), lowest last:
core, organization, grids, notifications, resident_requests, then open311 | party_work | ops
side by side (independent of each other), dashboards, imports, jingkou. An import inside a
function counts like one at the top of the module: a deferred import is still a dependency (it
only hides a cycle from Python, not from a reader). So do imports under TYPE_CHECKING. tests/,
bench/ and scripts/ are outside the graph.

import-linter has no contract for cycles between modules across packages, so this file finds
them itself in grimp's graph (import-linter's graph library): every strongly connected group of
modules is a cycle, named with the lines that close it.
"""

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "importlinter"
]
ROOT_PACKAGES = CONFIG["root_packages"]
# Folders of the repository that hold no production code.
NOT_APPS = {"tests", "bench", "scripts", "deploy", "node_modules", "static", "templates", "locale"}


def lint_imports(cwd: Path, config: Path) -> subprocess.CompletedProcess:
    """Run import-linter's command line (the same as `lint-imports`) without its cache."""
    command = "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"
    return subprocess.run(
        [sys.executable, "-c", command, "--no-cache", str(config)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def module_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every group of modules that import each other, directly or through others (Tarjan's
    strongly connected components, without recursion), each sorted, the list sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found = []
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            module, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append(
                        (
                            successor,
                            iter(sorted(graph.find_modules_directly_imported_by(successor))),
                        )
                    )
                    break
                if successor in on_stack:
                    low[module] = min(low[module], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])
                if low[module] == index[module]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == module:
                            break
                    if len(group) > 1 or module in graph.find_modules_directly_imported_by(module):
                        found.append(sorted(group))
    return sorted(found)


def describe_cycle(graph: grimp.ImportGraph, group: list[str]) -> str:
    """One import loop through the group's first module, with the line of each import."""
    first = group[0]
    members = set(group)
    nxt = next(m for m in sorted(graph.find_modules_directly_imported_by(first)) if m in members)
    chain = [first, *(graph.find_shortest_chain(importer=nxt, imported=first) or (nxt, first))]
    steps = []
    for importer, imported in zip(chain, chain[1:], strict=False):
        lines = sorted(
            d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)
        )
        steps.append(f"{importer} -> {imported} (l.{', l.'.join(map(str, lines))})")
    return "; ".join(steps)


def test_every_app_is_in_the_layers():
    """A new app must be placed in a layer: otherwise it could import anything unchecked."""
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in NOT_APPS and not path.parent.name.startswith(".")
    }
    assert set(ROOT_PACKAGES) == packages
    (contract,) = [c for c in CONFIG["contracts"] if c["type"] == "layers"]
    layered = {name.strip() for layer in contract["layers"] for name in layer.split("|")}
    assert layered == packages


def test_the_layer_contracts_are_kept():
    result = lint_imports(ROOT, ROOT / "pyproject.toml")
    assert result.returncode == 0, "import-linter found imports against the layers:\n" + (
        result.stdout[result.stdout.find("Broken contracts") :] or result.stdout + result.stderr
    )


def test_no_module_imports_itself_back():
    graph = grimp.build_graph(*ROOT_PACKAGES, cache_dir=None)
    cycles = [describe_cycle(graph, group) for group in module_cycles(graph)]
    assert not cycles, "modules that import each other:\n" + "\n".join(cycles)


def write_package(root: Path, name: str, modules: dict[str, str]) -> None:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text("")
    for module, source in modules.items():
        (root / name / f"{module}.py").write_text(source)


def test_an_import_upward_breaks_the_layers_even_inside_a_function(tmp_path):
    write_package(tmp_path, "lower", {"a": "def f():\n    from upper import b\n"})
    write_package(tmp_path, "upper", {"b": "from lower import a\n"})
    config = tmp_path / "pyproject.toml"
    config.write_text(
        "[tool.importlinter]\n"
        'root_packages = ["lower", "upper"]\n'
        "[[tool.importlinter.contracts]]\n"
        'id = "layers"\n'
        'name = "Apps import only downward"\n'
        'type = "layers"\n'
        'layers = ["upper", "lower"]\n'
    )
    result = lint_imports(tmp_path, config)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Apps import only downward BROKEN" in result.stdout
    assert "lower.a -> upper.b (l.2)" in result.stdout


def test_a_cycle_is_found_and_named_even_through_a_deferred_import(tmp_path, monkeypatch):
    write_package(
        tmp_path,
        "loop",
        {
            "a": "from loop import b\n",
            "b": "from loop.c import x\n",
            "c": "x = 1\n\ndef later():\n    from loop import a\n",
            "d": "from loop import a\n",  # imports the loop, is not part of it
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("loop", cache_dir=None)
    assert module_cycles(graph) == [["loop.a", "loop.b", "loop.c"]]
    assert describe_cycle(graph, ["loop.a", "loop.b", "loop.c"]) == (
        "loop.a -> loop.b (l.1); loop.b -> loop.c (l.1); loop.c -> loop.a (l.4)"
    )


def test_a_module_importing_itself_is_a_cycle_and_a_chain_is_not():
    graph = grimp.ImportGraph()
    for importer, imported in [("p.a", "p.a"), ("p.b", "p.c"), ("p.c", "p.d")]:
        graph.add_import(importer=importer, imported=imported)
    assert module_cycles(graph) == [["p.a"]]


# Model relations are dependencies that no import shows ("app.Model" strings). The one that
# points upward needs a model change (a migration): the request's volunteer team would move to
# a link kept by party_work. Until then it is the only one allowed, and this list must shrink.
UPWARD_RELATIONS_PENDING = {("resident_requests.ResidentRequest", "assignee_team")}


@pytest.mark.django_db(databases=[])
def test_model_relations_point_down_or_are_listed():
    from django.apps import apps

    contract = next(c for c in CONFIG["contracts"] if c["type"] == "layers")
    height = {
        name.strip(): len(contract["layers"]) - position
        for position, layer in enumerate(contract["layers"])
        for name in layer.split("|")
    }
    upward = set()
    for model in apps.get_models():
        own = model._meta.app_label
        for field in model._meta.get_fields():
            if not field.is_relation or field.auto_created or field.related_model is None:
                continue
            other = field.related_model._meta.app_label
            if own in height and other in height and other != own and height[other] >= height[own]:
                upward.add((model._meta.label, field.name))
    assert upward == UPWARD_RELATIONS_PENDING
