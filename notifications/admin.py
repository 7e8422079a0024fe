"""The outbox in the admin: what was sent, what failed and why, and "send again"."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core import forms as core_forms
from core.admin_mixins import PersonalDataAuditMixin
from core.privacy import mask_phone

from . import services
from .models import Notification, NotificationStatus


@admin.register(Notification)
class NotificationAdmin(PersonalDataAuditMixin, admin.ModelAdmin):
    # The detail page shows a bare recipient's e-mail address in full (phones stay masked).
    form = core_forms.ModelForm
    personal_data_fields = ("email",)

    list_display = [
        "created_at",
        "template_key",
        "channel",
        "recipient",
        "status",
        "attempts",
        "short_error",
        "sent_at",
    ]
    list_filter = ["status", "channel", "template_key", "created_at"]
    search_fields = ["idempotency_key", "template_key", "=request_id"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient_person", "recipient_user"]
    list_per_page = 100
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = ["send_again"]
    readonly_fields = [
        "created_at",
        "updated_at",
        "recipient",
        "masked_phone",
        "email",
        "channel",
        "template_key",
        "context",
        "language",
        "request_id",
        "status",
        "attempts",
        "last_error",
        "idempotency_key",
        "enqueued_at",
        "claimed_at",
        "next_attempt_at",
        "sent_at",
        "preview",
    ]
    fieldsets = [
        (None, {"fields": ["status", "attempts", "last_error", "preview"]}),
        (
            _("Recipient"),
            {"fields": ["recipient", "masked_phone", "email", "channel", "language"]},
        ),
        (
            _("Details"),
            {
                "fields": [
                    "template_key",
                    "context",
                    "request_id",
                    "idempotency_key",
                    "created_at",
                    "enqueued_at",
                    "claimed_at",
                    "next_attempt_at",
                    "sent_at",
                    "updated_at",
                ]
            },
        ),
    ]

    def has_add_permission(self, request):
        return False  # rows are written by the workflow, never by hand

    def has_delete_permission(self, request, obj=None):
        return False  # the outbox is the record of what was sent

    @admin.display(description=_("recipient"))
    def recipient(self, obj):
        return obj.recipient_display

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    @admin.display(description=_("reason of the last failure"))
    def short_error(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.display(description=_("message"))
    def preview(self, obj):
        try:
            return services.message_for(obj).text
        except Exception as exc:  # a broken row is exactly what this page must still show
            return f"— {exc}"

    @admin.action(description=_("Send again (failed or dead rows)"), permissions=["change"])
    def send_again(self, request, queryset):
        eligible = queryset.filter(status__in=[NotificationStatus.FAILED, NotificationStatus.DEAD])
        count = services.notification_resend(notifications=eligible)
        skipped = queryset.count() - count
        self.message_user(
            request,
            ngettext(
                "%(count)d notification will be sent again.",
                "%(count)d notifications will be sent again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
        if skipped:
            self.message_user(
                request,
                _("Rows that are pending, sending or sent were left as they are."),
                messages.INFO,
            )
