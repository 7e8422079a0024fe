"""The audit log in the admin (read-only for everyone), and the staff login with two-factor."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core import forms as core_forms

from .forms import StaffLoginForm, user_has_otp_device
from .models import AuditEvent
from .selectors import audit_log_readable_by

# The admin login asks for a one-time code from staff who registered a TOTP device.
admin.site.login_form = StaffLoginForm
admin.site.login_template = "ops/admin_login.html"

_has_permission = admin.site.has_permission


def _has_permission_with_otp(request):
    """A staff user with a two-factor device must have passed it in this session."""
    if not _has_permission(request):
        return False
    user = request.user
    if user_has_otp_device(user):
        return bool(getattr(user, "is_verified", lambda: False)())
    return True


admin.site.has_permission = _has_permission_with_otp


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["at", "actor_username", "action", "object_type", "object_repr", "ip_address"]
    list_filter = ["action", "at"]
    search_fields = ["actor_username", "object_repr", "object_id", "request_id"]
    date_hierarchy = "at"
    ordering = ["-at", "-id"]
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    fieldsets = [
        (None, {"fields": ["at", "actor", "actor_username", "action"]}),
        (_("Object"), {"fields": ["object_type", "object_id", "object_repr", "detail"]}),
        (_("Where from"), {"fields": ["ip_address", "request_id"]}),
    ]

    def has_module_permission(self, request):
        return audit_log_readable_by(request.user)

    def has_view_permission(self, request, obj=None):
        return audit_log_readable_by(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
