"""The district's published figures live in core.figures: the dashboards show them, the demo
builds data that agrees with them, and no production module reads a demo module."""

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import translation

from core.figures import PARTY_BUILDING, PARTY_WORK, Figure
from dashboards.tables import party_table, party_work_table
from organization import demo as organization_demo
from party_work import demo as party_work_demo

ROOT = Path(__file__).resolve().parents[2]
NOT_PRODUCTION = {"tests", "bench", "node_modules", "migrations", "scripts", "deploy"}


def test_a_figure_reads_as_published():
    assert str(Figure(6_100, at_least=True)) == "6,100+"
    assert Figure(6_100, at_least=True).shown() == "6,100+"
    assert Figure(295).shown() == 295
    assert Figure(740, at_least=True).met_by(746)
    assert not Figure(740, at_least=True).met_by(739)
    assert not Figure(295).met_by(296)


@pytest.mark.parametrize(
    ("demo_figures", "published", "renamed"),
    [
        (organization_demo.DEMO_FIGURES, PARTY_BUILDING, {}),
        (party_work_demo.DEMO_FIGURES, PARTY_WORK, {"projects_per_year": "projects"}),
    ],
    ids=["organization", "party_work"],
)
def test_the_demo_agrees_with_every_published_figure_it_builds(demo_figures, published, renamed):
    for key, count in demo_figures.items():
        figure = published[renamed.get(key, key)]
        assert figure.met_by(count), (key, count, str(figure))
    assert PARTY_BUILDING["grids"].value == organization_demo.GRIDS_TOTAL


def test_the_dashboard_tables_show_the_published_figures():
    # Exact figures as numbers, bounds as published ("6,100+"), blank where none is published.
    party = party_table(_Any())
    assert [row[2] for row in party.rows] == [
        6, "", 295, 270, 25, 0, "", "740+", "70,000+", "", "6,100+", 264, 159, 126, "160+", ""
    ]  # fmt: skip
    with translation.override("en"):
        work = party_work_table(None, figures=_Any(year=2022))
    assert [row[2] for row in work.rows] == [
        "128", "", "6,100+", "740+", "70,000+", "", "", "700+", "", "", "", "200+",
        "", "", "", "", "18 (2022 Q1)", "300+", "500+", "600+", "5,000+",
    ]  # fmt: skip


class _Any(SimpleNamespace):
    """Live figures: 0 for every indicator the tables ask for."""

    def __getattr__(self, name):
        return None if name == "coverage_percent" else 0


def _production_modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[0].startswith(".") or NOT_PRODUCTION & set(parts) or path.stem == "demo":
            continue
        # The demo's own loader (manage.py load_demo) is where demo modules are read.
        if path.stem == "load_demo":
            continue
        yield path


def test_no_production_module_imports_a_demo_module():
    offenders = []
    for path in _production_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or "", *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            if any("demo" in name.split(".") for name in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders
    assert len(list(_production_modules())) > 50  # the walk does find the apps' modules
