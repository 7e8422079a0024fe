"""The home page: where residents start."""

from django.shortcuts import render


def home(request):
    return render(request, "core/home.html")
