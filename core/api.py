"""What every /api/v1/ endpoint shares: domain errors as API responses, paging, masking rules.

The one place that turns core.exceptions.ApplicationError (and Django's ValidationError) into an
API answer: 403 for OutOfScope, 409 for IllegalTransition, 400 for the rest, always with a
`detail` message for people.

Every error under /api/ has one shape (`ErrorSerializer`, the schema's `Error`): `detail`, a
message for people, and for invalid input `errors`, the messages by field. DRF's own errors
(401, 403, 404, 405, 429, invalid input) are rewritten into it here, Django's 400/403/404/500
pages under /api/ by the handlers below (jingkou.urls), and `AutoSchema` documents it on every
operation for the status codes that operation can answer.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from drf_spectacular import openapi
from drf_spectacular.utils import extend_schema_field
from rest_framework import authentication, permissions, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import ApplicationError, IllegalTransition, OutOfScope
from core.validators import scrub_input


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        code = status.HTTP_400_BAD_REQUEST
        if isinstance(exc, OutOfScope):
            code = status.HTTP_403_FORBIDDEN
        elif isinstance(exc, IllegalTransition):
            code = status.HTTP_409_CONFLICT
        body = {"detail": str(exc.message)}
        if exc.extra:
            body["errors"] = {
                key: [str(m) for m in (value if isinstance(value, list | tuple) else [value])]
                for key, value in exc.extra.items()
            }
        return Response(body, status=code)
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = error_body(response.data)
    return response


def _flatten(data, prefix: str, into: dict) -> None:
    """DRF's nested error structure as {"field": [...], "field.0.sub": [...]}."""
    if isinstance(data, dict):
        for key, value in data.items():
            _flatten(value, f"{prefix}.{key}" if prefix else str(key), into)
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            if isinstance(value, dict | list | tuple):
                _flatten(value, f"{prefix}.{index}" if prefix else str(index), into)
            else:
                into.setdefault(prefix or api_settings.NON_FIELD_ERRORS_KEY, []).append(str(value))
    else:
        into.setdefault(prefix or "detail", []).append(str(data))


def error_body(data) -> dict:
    """Any DRF error payload in the one shape: {"detail": "...", "errors": {field: [...]}}."""
    if isinstance(data, dict) and set(data) == {"detail"} and isinstance(data["detail"], str):
        return {"detail": str(data["detail"])}
    errors: dict[str, list[str]] = {}
    _flatten(data, "", errors)
    detail_messages = errors.pop("detail", [])
    if detail_messages:
        detail = " ".join(detail_messages)
    elif errors:
        field, messages = next(iter(errors.items()))
        detail = (
            messages[0] if field == api_settings.NON_FIELD_ERRORS_KEY else f"{field}: {messages[0]}"
        )
    else:
        detail = str(_("Invalid input."))
    body = {"detail": detail}
    if errors:
        body["errors"] = errors
    return body


class CleanInputSerializerMixin:
    """Strips C0 control characters (but tab, newline, carriage return) from everything a
    serializer is given (a JSON body or a form post), before any field sees it."""

    def to_internal_value(self, data):
        return super().to_internal_value(scrub_input(data))


class Serializer(CleanInputSerializerMixin, serializers.Serializer):
    pass


class ErrorSerializer(Serializer):
    """The one shape of every error answer under /api/ (the schema's `Error` component)."""

    detail = serializers.CharField(help_text=_("What was wrong and what to do, for people"))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("Invalid input: the messages by field (nested fields as a.0.b)"),
    )


# --- Django's error pages under /api/ answer JSON too (jingkou.urls' handler400 ... handler500) ---


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _json_error(message, code: int) -> JsonResponse:
    return JsonResponse(
        {"detail": str(message)}, status=code, json_dumps_params={"ensure_ascii": False}
    )


def bad_request(request, exception):
    if _is_api(request):
        return _json_error(_("Bad request."), 400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _is_api(request):
        return _json_error(_("You do not have permission to perform this action."), 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _is_api(request):
        return _json_error(_("Not found: no API endpoint or object at this address."), 404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return _json_error(_("Server error: try again later."), 500)
    return defaults.server_error(request)


# --- The schema: the error answers of each operation -------------------------------------------

ERROR_DESCRIPTIONS = {
    "400": _("Invalid input: `errors` names each field"),
    "401": _("Not signed in, or the token is invalid"),
    "403": _("Not allowed for you (outside your scope, or not staff)"),
    "404": _("Not found (or outside your scope), or an invalid page cursor"),
    "409": _("The request is not in a state that allows this action now"),
    "429": _("Too many calls: wait and retry"),
}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, adding to each operation the error answers it can give, all
    with the `Error` schema: 400 for input (a body or query parameters), 401 where a token or a
    session is read, 403 where a permission is checked (or a session's CSRF token on writes),
    404 for an object in the path and for paged lists (a bad cursor), 429 where throttled.
    A view adds others (409 for the transitions) with extend_schema(responses=...)."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        for code in sorted(self._error_statuses(operation)):
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ErrorSerializer, code, ["application/json"]
                )
        for code, description in ERROR_DESCRIPTIONS.items():
            if code in responses and not responses[code].get("description"):
                responses[code]["description"] = str(description)
        return operation

    def _error_statuses(self, operation) -> set[str]:
        view = self.view
        authenticators = list(getattr(view, "authentication_classes", []))
        public = all(
            issubclass(p, permissions.AllowAny) for p in getattr(view, "permission_classes", [])
        )
        codes = set()
        if operation.get("requestBody") or any(
            p["in"] == "query" for p in operation.get("parameters", [])
        ):
            codes.add("400")
        if authenticators or not public:
            codes.add("401")
        session = any(issubclass(a, authentication.SessionAuthentication) for a in authenticators)
        if not public or (self.method in UNSAFE_METHODS and session):
            codes.add("403")
        if "{" in self.path or (self._is_list_view() and self._get_paginator()):
            codes.add("404")
        if getattr(view, "throttle_classes", None):
            codes.add("429")
        return codes


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?$",
        "example": "09:00",
    }  # fmt: skip
)
class LocalTimeField(serializers.TimeField):
    """A local time of day without an offset ("09:00"): OpenAPI's `format: time` (RFC 3339's
    full-time) requires one, so the schema declares a string with a pattern."""


class NewestFirstCursorPagination(CursorPagination):
    """Stable pages over a list that grows while it is read (new requests arrive all the time)."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class IdFilter(django_filters.NumberFilter):
    """A filter by a row id: a whole number in the database's range, anything else a 400."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class ModelSerializer(CleanInputSerializerMixin, serializers.ModelSerializer):
    """A ModelSerializer whose "<relation>_id" fields are plain read-only integers.

    DRF would build them as ReadOnlyField, which drf-spectacular then maps through the foreign key,
    evaluating its limited queryset: the schema (and `check --deploy`) would query the database.
    """

    def build_property_field(self, field_name, model_class):
        if field_name.endswith("_id"):
            return serializers.IntegerField, {"read_only": True, "allow_null": True}
        return super().build_property_field(field_name, model_class)
