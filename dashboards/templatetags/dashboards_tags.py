"""Template tags: the public summary block on the home page, and the dashboard's table rows."""

from django import template
from django.conf import settings
from django.utils.formats import localize
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


def _cell(value) -> str:
    """What the template's {{ value }} gives: localized, then escaped. Whole numbers are most
    cells; without thousand separators their localized form is plain str()."""
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    return escape(localize(value))


@register.simple_tag
def table_rows(table):
    """The <tr> rows of a dashboards.tables.Table: the first cell a row header (a link when the
    row has one), the others data cells. Built here rather than with nested template loops (or
    format_html per cell): the district's tables hold thousands of cells, and rendering them
    that way cost more than all the page's queries."""
    rows = []
    cell_links = table.cell_links
    for index, (row, link) in enumerate(table.linked_rows()):
        head = _cell(row[0]) if row else ""
        if link:
            head = f'<a href="{escape(link)}">{head}</a>'
        targets = cell_links.get(index)
        if targets:
            cells = "".join(
                f'<td><a class="dash-drill" href="{escape(targets[i])}">{_cell(cell)}</a></td>'
                if i in targets
                else f"<td>{_cell(cell)}</td>"
                for i, cell in enumerate(row[1:], start=1)
            )
        else:
            cells = "".join(f"<td>{_cell(cell)}</td>" for cell in row[1:])
        rows.append(f'<tr><th scope="row">{head}</th>{cells}</tr>')
    # Every value above went through escape().
    return mark_safe("\n".join(rows))  # noqa: S308  # nosec B308 B703
