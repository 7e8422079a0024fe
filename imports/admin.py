"""Import and export buttons on the admin lists a district fills from its spreadsheets.

The lists belong to lower apps (organization, grids, resident_requests); this app sits above
them and adds its buttons by re-registering their ModelAdmins with SheetAdminMixin, so that the
lower apps never import this one. django-import-export's flow is kept: upload → dry run (what
would be created, changed, left alone, every failing row with its line, column and reason) →
confirm. The confirmed import goes through imports.services, one transaction, audited.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ImportExportMixin
from import_export.forms import ConfirmImportForm, ExportForm, ImportForm

from core.exceptions import ApplicationError
from core.forms import CleanInputMixin
from grids.admin import BuildingAdmin, GridAdmin, ServiceStationAdmin
from grids.datum import Datum
from grids.models import Building, Grid, ServiceStation
from organization.admin import DepartmentAdmin, OrgUnitAdmin, PersonAdmin
from organization.models import Department, OrgUnit, Person
from resident_requests.admin import CategoryAdmin
from resident_requests.models import Category

from . import services, sheets
from .resources import RESOURCES


class SheetImportForm(CleanInputMixin, ImportForm):
    datum = forms.ChoiceField(
        label=gettext_lazy("Coordinate system of the sheet"),
        choices=Datum.choices,
        initial=Datum.WGS84,
        required=False,
        help_text=gettext_lazy(
            "Where the points come from: GPS or Tianditu (WGS-84), Amap or Tencent (GCJ-02), "
            "Baidu (BD-09). A 坐标系 column in the sheet overrides this for its row."
        ),
    )


class SheetConfirmForm(CleanInputMixin, ConfirmImportForm):
    datum = forms.CharField(widget=forms.HiddenInput(), required=False)


class SheetAdminMixin(ImportExportMixin):
    sheet_kind = ""
    import_template_name = "admin/imports/import.html"
    import_form_class = SheetImportForm
    confirm_form_class = SheetConfirmForm
    export_form_class = ExportForm
    # The audit log gets one row per import with its counts; a LogEntry per row of a
    # 20,000-row sheet would only bury the admin's history.
    skip_admin_log = True

    def get_import_formats(self):
        return [sheets.SpreadsheetFormat]

    def get_export_formats(self):
        return [sheets.XLSXFormat, sheets.CSVFormat]

    def get_import_resource_classes(self, request):
        return [RESOURCES[self.sheet_kind]]

    def get_export_resource_classes(self, request):
        return [RESOURCES[self.sheet_kind]]

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def _datum(self, form) -> str:
        data = getattr(form, "cleaned_data", None) or {}
        return data.get("datum") or Datum.WGS84

    def get_import_resource_kwargs(self, request, *args, **kwargs):
        return {"user": request.user, "datum": self._datum(kwargs.get("form"))}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["datum"] = self._datum(import_form)
        return initial

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ApplicationError):
            form.add_error("import_file", e.message)
        else:
            form.add_error("import_file", sheets.not_a_sheet().message)

    def get_import_context_data(self, **kwargs):
        return {
            "sheet_title": RESOURCES[self.sheet_kind].title,
            "template_url_name": self._template_url_name(),
            "max_rows": sheets.max_rows(),
        }

    def process_dataset(self, dataset, form, request, **kwargs):
        return services.sheet_import(
            kind=self.sheet_kind,
            dataset=dataset,
            user=request.user,
            datum=self._datum(form),
            dry_run=False,
            file_name=form.cleaned_data.get("original_file_name", ""),
        )

    def process_result(self, result, request):
        if not services.result_ok(result):
            # The data changed between the dry run and the confirmation: nothing was written.
            context = {
                **self.admin_site.each_context(request),
                **self.get_import_context_data(),
                "title": _("Import"),
                "opts": self.model._meta,
                "result": result,
                "form": self.create_import_form(request),
                "import_error_display": self.import_error_display,
            }
            messages.error(
                request,
                _("Nothing was imported: correct the rows below and upload the file again."),
            )
            return TemplateResponse(request, [self.import_template_name], context)
        counts = services.counts_of(result)
        messages.success(
            request,
            _("Imported: %(new)s new, %(updated)s changed, %(unchanged)s unchanged.")
            % {"new": counts.new, "updated": counts.updated, "unchanged": counts.unchanged},
        )
        return super().process_result(result, request)

    def add_success_message(self, result, request):
        pass  # process_result says it in plain words

    def get_export_data(self, file_format, request, queryset, **kwargs):
        if not self.has_export_permission(request):
            raise PermissionDenied
        fmt = "csv" if isinstance(file_format, sheets.CSVFormat) else "xlsx"
        try:
            return services.sheet_export(
                kind=self.sheet_kind, user=request.user, queryset=queryset, fmt=fmt
            )
        except ApplicationError as exc:
            raise PermissionDenied(exc.message) from exc

    # --- The template to fill in ------------------------------------------------------

    def _template_url_name(self) -> str:
        opts = self.model._meta
        return f"admin:{opts.app_label}_{opts.model_name}_sheet_template"

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "sheet-template/",
                self.admin_site.admin_view(self.sheet_template_view),
                name=f"{opts.app_label}_{opts.model_name}_sheet_template",
            ),
            *super().get_urls(),
        ]

    def sheet_template_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
        data = services.sheet_template(kind=self.sheet_kind, fmt=fmt)
        content_type = (
            sheets.CSVFormat().get_content_type()
            if fmt == "csv"
            else sheets.XLSXFormat().get_content_type()
        )
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="template-{self.sheet_kind}.{fmt}"'
        return response


def _reregister(model, admin_class, kind, **attrs):
    admin.site.unregister(model)
    name = f"Sheet{admin_class.__name__}"
    admin.site.register(
        model, type(name, (SheetAdminMixin, admin_class), {"sheet_kind": kind, **attrs})
    )


@admin.display(description=gettext_lazy("ID number"))
def masked_id_number(obj):
    return sheets.masked_id(obj.id_number_tail)


_reregister(OrgUnit, OrgUnitAdmin, "org")
_reregister(
    Person,
    PersonAdmin,
    "people",
    # Only the last four characters of an ID number are kept, and shown masked.
    list_display=[*PersonAdmin.list_display, masked_id_number],
    readonly_fields=[*PersonAdmin.readonly_fields, masked_id_number],
    exclude=["id_number_hash", "id_number_tail"],
)
_reregister(Grid, GridAdmin, "grids")
_reregister(Building, BuildingAdmin, "buildings")
_reregister(ServiceStation, ServiceStationAdmin, "stations")
_reregister(Department, DepartmentAdmin, "departments")
_reregister(Category, CategoryAdmin, "categories")
