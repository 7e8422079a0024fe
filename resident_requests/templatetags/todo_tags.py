"""The admin's entry point to 我的待办: the signed-in user's count (resident_requests.todo)."""

from django import template

from ..todo import todo_count as count_for

register = template.Library()


@register.simple_tag(takes_context=True)
def todo_count(context) -> int:
    request = context.get("request")
    return count_for(getattr(request, "user", None))
