"""The short links in messages: /n/<token>/ redirects to the page it stands for."""

from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache

from . import selectors


@never_cache
def short_link(request, token):
    target = selectors.short_link_target(token)
    if target is None:
        raise Http404
    return redirect(target)
