"""Open311 API keys in the admin: issue one (its value is shown once), revoke, see its use."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core import forms as core_forms
from core.exceptions import ApplicationError

from . import services
from .models import ApiKey, Submission


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["name", "prefix", "contact", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "contact"]
    fields = ["name", "contact", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the requests a key filed keep pointing at it

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name", "contact", "updated_at"])
            return
        try:
            key, raw_key = services.api_key_issue(name=obj.name, contact=obj.contact)
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return
        obj.pk = key.pk
        obj.refresh_from_db()
        self.message_user(
            request,
            _(
                "The API key for %(name)s is %(key)s. Copy it now and give it to the client: "
                "it is not shown again."
            )
            % {"name": key.name, "key": raw_key},
            level=messages.WARNING,
        )

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        count = 0
        for key in queryset.filter(revoked_at__isnull=True):
            services.api_key_revoke(key=key)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d key revoked.", "%(count)d keys revoked.", count) % {"count": count},
            level=messages.SUCCESS,
        )


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["created_at", "request", "api_key", "token"]
    list_select_related = ["request", "api_key"]
    search_fields = ["token", "request__code"]
    readonly_fields = ["created_at", "request", "api_key", "token", "media_url"]
    fields = readonly_fields

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
