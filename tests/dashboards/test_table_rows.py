"""The dashboard's table rows, rendered in Python: escaped and localized as a template would."""

from django.template import Context, Template
from django.utils import translation

from dashboards.tables import Table


def _render(table):
    return Template("{% load dashboards_tags %}{% table_rows table %}").render(
        Context({"table": table})
    )


def test_names_and_links_are_escaped():
    table = Table(
        key="units",
        title="t",
        columns=["Unit", "Received"],
        rows=[['<script>alert("x")</script>', 3], ["B & C", 1.5]],
        links=['/dashboard/7/?a=1&b="2"', None],
    )
    html = _render(table)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert '<a href="/dashboard/7/?a=1&amp;b=&quot;2&quot;">' in html
    assert '<th scope="row">B &amp; C</th><td>1.5</td>' in html


def test_cells_read_as_the_template_would_show_them():
    table = Table(key="k", title="t", columns=["A", "B", "C"], rows=[["x", 1234, 98.5]])
    with translation.override("zh-hans"):
        shown = Template("{{ b }}|{{ c }}").render(Context({"b": 1234, "c": 98.5}))
        assert shown == "1234|98.5"
        assert _render(table) == '<tr><th scope="row">x</th><td>1234</td><td>98.5</td></tr>'


def test_every_kind_of_cell_reads_as_the_template_would_show_it():
    """The rows are built without the template engine: each kind of value a table holds must
    come out as {{ value }} shows it, in both languages and with thousand separators on (text
    marked safe is the exception: the rows escape every value)."""
    from decimal import Decimal

    from django.test import override_settings
    from django.utils.translation import gettext_lazy

    values = [
        0, -3, 1234567, 98.5, -0.25, 100.0, 1e-05, 12345678901234567890.0, float("nan"),
        float("inf"), Decimal("21.50"), True, None, "", "<b>&",
        gettext_lazy("Received"),
    ]  # fmt: skip
    template = Template("{% for v in values %}<td>{{ v }}</td>{% endfor %}")
    for language in ("zh-hans", "en"):
        for grouping in (False, True):
            with (
                translation.override(language),
                override_settings(USE_THOUSAND_SEPARATOR=grouping, NUMBER_GROUPING=3),
            ):
                table = Table(key="k", title="t", columns=["h"] * 17, rows=[["h", *values]])
                expected = template.render(Context({"values": values}))
                assert _render(table) == f'<tr><th scope="row">h</th>{expected}</tr>', (
                    language,
                    grouping,
                )
