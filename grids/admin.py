"""Admin for grids, buildings and stations: each staff user sees and edits only their subtree
(ScopedAdminMixin); a grid leader sees only their own grid."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core import forms as core_forms
from organization.admin_mixins import ScopedAdminMixin
from organization.models import OrgUnit, UnitKind

from .models import Building, Grid, OpeningHours, ServiceStation, StationService


class StreetFilter(admin.SimpleListFilter):
    """By street, for the district's and the organization department's long lists."""

    title = _("street")
    parameter_name = "street"
    path = "unit"

    def lookups(self, request, model_admin):
        streets = OrgUnit.objects.filter(kind=UnitKind.STREET).order_by("code")
        return [(s.pk, s.name) for s in streets]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            street = OrgUnit.objects.get(pk=int(self.value()), kind=UnitKind.STREET)
        except (ValueError, OrgUnit.DoesNotExist):
            return queryset.none()
        from organization.selectors import subtree_q

        return queryset.filter(subtree_q(street, self.path))


class BuildingStreetFilter(StreetFilter):
    path = "grid__unit"


class StationStreetFilter(StreetFilter):
    path = "owner_unit"


class BuildingInline(admin.TabularInline):
    form = core_forms.ModelForm
    model = Building
    extra = 0
    fields = ["name", "address", "households", "lat", "lng"]
    show_change_link = True
    max_num = 200


@admin.register(Grid)
class GridAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["name", "code", "community", "leader", "households", "population"]
    list_filter = [StreetFilter]
    search_fields = ["name", "code"]
    list_select_related = ["community", "leader"]
    autocomplete_fields = ["community", "unit", "leader"]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["code", "name", "community", "unit", "leader"]}),
        (_("Residents"), {"fields": ["households", "population"]}),
        (_("Place"), {"fields": ["center_lat", "center_lng", "boundary"]}),
    ]
    inlines = [BuildingInline]

    def get_readonly_fields(self, request, obj=None):
        # Which branch a grid belongs to is the chain's business, not the grid leader's.
        if obj is not None and not request.user.has_perm("grids.add_grid"):
            return ["code", "community", "unit"]
        return []


@admin.register(Building)
class BuildingAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["address", "name", "grid", "households"]
    list_filter = [BuildingStreetFilter]
    search_fields = ["address", "name", "grid__name"]
    list_select_related = ["grid"]
    autocomplete_fields = ["grid", "unit"]
    show_full_result_count = False


class OpeningHoursInline(admin.TabularInline):
    form = core_forms.ModelForm
    model = OpeningHours
    extra = 1
    fields = ["weekday", "opens", "closes"]


@admin.register(ServiceStation)
class ServiceStationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["name", "level", "owner_unit", "phone", "is_demonstration", "active"]
    list_filter = ["level", "active", "is_demonstration", StationStreetFilter, "services"]
    search_fields = ["name", "address"]
    list_select_related = ["owner_unit"]
    autocomplete_fields = ["owner_unit", "grids_served"]
    filter_horizontal = ["services"]
    show_full_result_count = False
    inlines = [OpeningHoursInline]
    fieldsets = [
        (None, {"fields": ["name", "level", "owner_unit", "active"]}),
        (_("Where"), {"fields": ["address", "lat", "lng", "phone", "grids_served"]}),
        (_("What it offers"), {"fields": ["services", "description"]}),
        (_("Upgrades"), {"fields": ["is_demonstration", "upgraded_year"]}),
    ]


@admin.register(StationService)
class StationServiceAdmin(admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name", "name_en"]
