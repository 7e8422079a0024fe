"""Read-only staff view of the notification outbox (/api/v1/notifications/).

A staff user sees the messages addressed to them and those about the requests in their scope;
the organization department and superusers see the whole outbox. Phone numbers are masked and
the template context (which may hold a resident's details) is left out, as in the admin's list.
"""

import django_filters
from rest_framework import serializers, viewsets

from core.api import ModelSerializer
from core.privacy import mask_phone
from organization.models import StaffRole
from organization.selectors import staff_roles

from . import selectors
from .models import Channel, Notification, NotificationStatus


class NotificationSerializer(ModelSerializer):
    recipient = serializers.CharField(source="recipient_display", read_only=True)
    phone = serializers.SerializerMethodField()
    channel_display = serializers.CharField(source="get_channel_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "created_at",
            "template_key",
            "channel",
            "channel_display",
            "recipient",
            "phone",
            "request_id",
            "status",
            "status_display",
            "attempts",
            "last_error",
            "sent_at",
        ]

    def get_phone(self, obj) -> str:
        return mask_phone(obj.phone)


class NotificationFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=NotificationStatus.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    template_key = django_filters.CharFilter(max_length=64)
    request_id = django_filters.NumberFilter(min_value=1, max_value=2**63 - 1)

    class Meta:
        model = Notification
        fields = ["status", "channel", "template_key", "request_id"]


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """The outbox, newest first: what was sent, what failed and why."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter

    def get_queryset(self):
        user = self.request.user
        queryset = Notification.objects.select_related(
            "recipient_person", "recipient_user"
        ).order_by("-created_at", "-id")
        if user.is_superuser or StaffRole.ORG_DEPARTMENT in staff_roles(user):
            return queryset
        return queryset.filter(selectors.notifications_visible_q(user))
