"""The home page: where residents start."""

from django.shortcuts import redirect, render
from django.templatetags.static import static


def home(request):
    return render(request, "core/home.html")


def favicon(request):
    return redirect(static("favicon.svg"), permanent=True)
