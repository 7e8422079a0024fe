from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from mptt.admin import MPTTModelAdmin

from core import forms as core_forms
from core.admin_mixins import PersonalDataAuditMixin
from core.exceptions import ApplicationError

from . import services
from .admin_mixins import ScopedAdminMixin
from .models import Department, OrgUnit, Person, Position, StaffScope
from .selectors import unit_is_visible


class PositionInline(admin.TabularInline):
    form = core_forms.ModelForm
    model = Position
    extra = 0
    autocomplete_fields = ["person"]
    fields = ["person", "role", "start_date", "end_date"]


@admin.register(OrgUnit)
class OrgUnitAdmin(ScopedAdminMixin, MPTTModelAdmin):
    """The whole district's tree (thousands of units): an indented list with paging and filters
    by level, rather than a drag-and-drop tree."""

    form = core_forms.ModelForm

    list_display = ["name", "code", "kind", "org_form"]
    list_filter = ["kind", "org_form"]
    search_fields = ["name", "code"]
    list_per_page = 100
    show_full_result_count = False
    mptt_level_indent = 24
    inlines = [PositionInline]
    fields = ["kind", "org_form", "name", "code", "parent"]
    autocomplete_fields = ["parent"]

    def save_model(self, request, obj, form, change):
        # The tree changes only through the services, which lock it and check the levels.
        parent = form.cleaned_data.get("parent")
        if parent is not None and not unit_is_visible(request.user, parent):
            raise PermissionDenied
        if not change:
            created = services.orgunit_create(
                kind=obj.kind, name=obj.name, code=obj.code, parent=parent, org_form=obj.org_form
            )
            obj.pk = created.pk
            obj.refresh_from_db()
            return
        old_parent_id = OrgUnit.objects.values_list("parent_id", flat=True).get(pk=obj.pk)
        obj.save(update_fields=["name", "code", "org_form", "updated_at"])
        if parent is not None and parent.pk != old_parent_id:
            services.orgunit_move(unit=obj, new_parent=parent)

    def delete_model(self, request, obj):
        services.orgunit_delete(unit=obj)

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            from django.http import HttpResponseRedirect

            return HttpResponseRedirect(request.get_full_path())


@admin.register(Person)
class PersonAdmin(PersonalDataAuditMixin, ScopedAdminMixin, admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["name", "masked_phone", "political_status", "retired", "membership_unit"]
    list_filter = ["political_status", "retired"]
    search_fields = ["name", "phone"]
    autocomplete_fields = ["membership_unit", "user"]
    list_select_related = ["membership_unit"]
    show_full_result_count = False
    personal_data_fields = ("name", "phone")

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        from core.privacy import mask_phone

        return mask_phone(obj.phone)


@admin.register(Position)
class PositionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["person", "role", "unit", "start_date", "end_date"]
    list_filter = ["role"]
    search_fields = ["person__name", "unit__name"]
    autocomplete_fields = ["person", "unit"]
    list_select_related = ["person", "unit"]
    show_full_result_count = False


@admin.register(Department)
class DepartmentAdmin(PersonalDataAuditMixin, admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["name", "code", "level", "street", "contact_name"]
    personal_data_fields = ("name", "phone", "email")  # the department's contact person
    list_filter = ["level"]
    search_fields = ["name", "code"]
    filter_horizontal = ["paired_communities"]


@admin.register(StaffScope)
class StaffScopeAdmin(admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["user", "role", "unit", "department"]
    list_filter = ["role"]
    autocomplete_fields = ["user", "unit", "department"]
    list_select_related = ["user", "unit", "department"]

    def has_module_permission(self, request):
        return request.user.is_superuser
