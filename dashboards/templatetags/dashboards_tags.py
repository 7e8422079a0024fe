"""Template tags: the public summary block on the home page, and the dashboard's table rows."""

import math

from django import template
from django.conf import settings
from django.utils.formats import get_format, localize
from django.utils.html import escape
from django.utils.safestring import mark_safe

from ..selectors import public_summary as public_summary_figures

register = template.Library()


@register.inclusion_tag("dashboards/_public_summary.html", takes_context=True)
def public_summary(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "figures": public_summary_figures(),
        "show_dashboard_link": bool(user and user.is_authenticated and user.is_staff),
    }


def _cell_text(value, decimal_separator: str) -> str:
    """What the template's {{ value }} gives: localized, then escaped. Without thousand
    separators, the localized form of a whole number is plain str(), of a float (rates, scores)
    str() with the language's decimal separator: most cells, done here without localize()."""
    kind = type(value)
    if kind is str:
        return escape(value)
    if not settings.USE_THOUSAND_SEPARATOR:
        if kind is int:
            return str(value)
        if kind is float and math.isfinite(value):
            text = str(value)
            if "e" not in text:
                return text.replace(".", decimal_separator)
    return escape(localize(value))


@register.simple_tag
def table_rows(table):
    """The <tr> rows of a dashboards.tables.Table: the first cell a row header (a link when the
    row has one), the others data cells. Built here rather than with nested template loops (or
    format_html per cell): the district's tables hold thousands of cells, and rendering them
    that way cost more than all the page's queries."""
    rows = []
    cell_links = table.cell_links
    sep = get_format("DECIMAL_SEPARATOR")
    for index, (row, link) in enumerate(table.linked_rows()):
        head = _cell_text(row[0], sep) if row else ""
        if link:
            head = f'<a href="{escape(link)}">{head}</a>'
        targets = cell_links.get(index)
        if targets:
            cells = "".join(
                f'<td><a class="dash-drill" href="{escape(targets[i])}">{_cell_text(cell, sep)}</a></td>'
                if i in targets
                else f"<td>{_cell_text(cell, sep)}</td>"
                for i, cell in enumerate(row[1:], start=1)
            )
        else:
            cells = "".join(f"<td>{_cell_text(cell, sep)}</td>" for cell in row[1:])
        rows.append(f'<tr><th scope="row">{head}</th>{cells}</tr>')
    # Every value above went through escape().
    return mark_safe("\n".join(rows))  # noqa: S308  # nosec B308 B703
