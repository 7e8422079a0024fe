from django.contrib import admin
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from . import forms as core_forms
from .models import CalendarDay

admin.site.site_header = _("Jingkou Doorstep · staff")
admin.site.site_title = _("Jingkou Doorstep")
admin.site.index_title = _("Work desk")


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Public holidays and 调休 working days. Who may change them is the model permissions':
    superusers and the organization department (organization.roles)."""

    form = core_forms.ModelForm

    list_display = ["date", "weekday", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["name"]
    ordering = ["-date"]

    @admin.display(description=_("weekday"), ordering="date")
    def weekday(self, obj):
        return date_format(obj.date, "l")
