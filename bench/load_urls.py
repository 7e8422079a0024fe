"""The portal's URLs plus /bench/insert/: a bare view that inserts one row (the floor to compare
the request form with: the same server, middleware and database, no form logic)."""

from django.db import connection
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from jingkou.urls import urlpatterns as portal_urlpatterns

BARE_TABLE = "bench_bare_row"


@csrf_exempt
def bare_insert(request):
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {BARE_TABLE} (created_at) VALUES (now())")  # noqa: S608
    return HttpResponse("ok\n", content_type="text/plain")


urlpatterns = [path("bench/insert/", bare_insert), *portal_urlpatterns]
