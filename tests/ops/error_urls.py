"""A view whose database is gone, for the server error page test."""

from django.db import OperationalError
from django.urls import path


def submit(request):
    raise OperationalError("server closed the connection unexpectedly")


urlpatterns = [path("submit/", submit)]
