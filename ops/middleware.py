"""Middleware of the ops app: health probes, request ids, two-factor for the admin."""

import json
import re
import uuid

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import HttpResponse

from .context import current_request_var, request_id_var

REQUEST_ID_HEADER = "X-Request-ID"
# nginx's $request_id is 32 hex digits; accept any short token of safe characters.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _json(status: int, payload: dict) -> HttpResponse:
    response = HttpResponse(json.dumps(payload), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """/healthz and /readyz, answered before anything else runs.

    First in MIDDLEWARE: a load balancer probes over plain HTTP with its own Host header, so these
    must not be redirected to HTTPS, checked against ALLOWED_HOSTS, counted as traffic, or depend
    on a session or the database (for /healthz).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return _json(200, {"status": "ok"})
        if request.path == "/readyz":
            from .health import readiness

            ready, checks = readiness()
            return _json(200 if ready else 503, {"ready": ready, "checks": checks})
        return self.get_response(request)


class RequestIdMiddleware:
    """Give every request an id (nginx's, or a new one), for the logs and the response header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        id_token = request_id_var.set(request_id)
        request_token = current_request_var.set(request)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(id_token)
            current_request_var.reset(request_token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with inline styles allowed on the few third-party pages that
    inject <style> elements (the API documentation: Swagger UI and Redoc). Scripts stay 'self'."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and request.path_info.startswith(tuple(settings.CSP_INLINE_STYLE_PATHS)):
            update = dict(parts.update or {})
            update["style-src"] = [*update.get("style-src", []), "'unsafe-inline'"]
            parts.update = update
        return parts
