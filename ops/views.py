"""Pages of the ops app: the privacy notice (public) and the metrics endpoint (scrapers only)."""

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from prometheus_client import CONTENT_TYPE_LATEST

from .metrics import exposition, scrape_allowed


@cache_control(public=True, max_age=3600)
def privacy_notice(request):
    return render(
        request,
        "ops/privacy.html",
        {
            "retention_days": settings.PERSONAL_DATA_RETENTION_DAYS,
            "retention_months": round(settings.PERSONAL_DATA_RETENTION_DAYS / 30.44),
            "controller": settings.PRIVACY_CONTROLLER_NAME
            or _("The organization department of the CPC Jingkou District Committee"),
            "contact": settings.PRIVACY_CONTACT,
        },
    )


def metrics(request):
    # REMOTE_ADDR, not a forwarded header: nginx does not proxy /metrics (deploy/nginx).
    if not scrape_allowed(request.META.get("REMOTE_ADDR")):
        return HttpResponseForbidden("metrics are for the monitoring network only\n")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
