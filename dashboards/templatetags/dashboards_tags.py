"""Template tags for other apps' pages: the public summary block on the home page."""

from django import template

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
