"""The portal's URLs plus two bare views to compare the request form with (the same server,
middleware and database, no form logic of the portal's):

- /bench/insert/: a POST that inserts one row with one SQL statement;
- /bench/form/: the bare cycle of issue 15, a Django ModelForm page (GET: the form with its
  CSRF token) and its POST (validation, one INSERT, a redirect).
"""

from django import forms
from django.db import connection, models
from django.http import HttpResponse, HttpResponseRedirect
from django.template import engines
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from jingkou.urls import urlpatterns as portal_urlpatterns

BARE_TABLE = "bench_bare_row"
BARE_FORM_TABLE = "bench_bare_form_row"


@csrf_exempt
def bare_insert(request):
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {BARE_TABLE} (created_at) VALUES (now())")  # noqa: S608
    return HttpResponse("ok\n", content_type="text/plain")


class BareRow(models.Model):
    """A row of the bare form (the table is made by bench.load_support.ensure_data)."""

    name = models.CharField(max_length=50)
    phone = models.CharField(max_length=11)
    description = models.TextField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "core"
        managed = False
        db_table = BARE_FORM_TABLE

    def __str__(self):
        return self.name


class BareForm(forms.ModelForm):
    class Meta:
        model = BareRow
        fields = ["name", "phone", "description"]


BARE_PAGE = engines["django"].from_string(
    '<!doctype html><html lang="zh-hans"><meta charset="utf-8"><title>bare</title>'
    '<form method="post">{% csrf_token %}{{ form }}<button>send</button></form></html>'
)


def bare_form(request):
    form = BareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        return HttpResponseRedirect("/bench/form/done/")
    return HttpResponse(BARE_PAGE.render({"form": form}, request))


urlpatterns = [
    path("bench/insert/", bare_insert),
    path("bench/form/", bare_form),
    *portal_urlpatterns,
]
