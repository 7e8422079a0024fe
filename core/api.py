"""What every /api/v1/ endpoint shares: domain errors as API responses, paging, masking rules.

The one place that turns core.exceptions.ApplicationError (and Django's ValidationError) into an
API answer: 403 for OutOfScope, 409 for IllegalTransition, 400 for the rest, always with a
`detail` message for people.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
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
    return drf_exception_handler(exc, context)


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


class CleanInputSerializerMixin:
    """Strips C0 control characters (but tab, newline, carriage return) from everything a
    serializer is given (a JSON body or a form post), before any field sees it."""

    def to_internal_value(self, data):
        return super().to_internal_value(scrub_input(data))


class Serializer(CleanInputSerializerMixin, serializers.Serializer):
    pass


class ModelSerializer(CleanInputSerializerMixin, serializers.ModelSerializer):
    """A ModelSerializer whose "<relation>_id" fields are plain read-only integers.

    DRF would build them as ReadOnlyField, which drf-spectacular then maps through the foreign key,
    evaluating its limited queryset: the schema (and `check --deploy`) would query the database.
    """

    def build_property_field(self, field_name, model_class):
        if field_name.endswith("_id"):
            return serializers.IntegerField, {"read_only": True, "allow_null": True}
        return super().build_property_field(field_name, model_class)
