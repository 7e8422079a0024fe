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
