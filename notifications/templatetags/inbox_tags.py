"""The headers' link to the inbox, with the signed-in user's unread count (one COUNT)."""

from django import template

from ..selectors import inbox_unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def inbox_unread(context) -> int:
    request = context.get("request")
    return inbox_unread_count(getattr(request, "user", None))
