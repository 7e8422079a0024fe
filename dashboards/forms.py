"""The dashboard's filter (a date range, a category and the trend's step) and the month of
the monthly topics page."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import forms as core_forms

from .selectors import RequestFilter

DEFAULT_DAYS = 90
MAX_DAYS = 366 * 5


class DashboardFilterForm(core_forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput({"type": "date"}, format="%Y-%m-%d")
    )
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None
    )
    period = forms.ChoiceField(
        label=_("Trend by"),
        required=False,
        choices=[("week", _("week")), ("month", _("month"))],
    )

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("All categories"))]
        for category in categories:
            indent = "　" if category["parent_id"] else ""
            choices.append((category["pk"], f"{indent}{category['name']}"))
        self.fields["category"].choices = choices

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        if start and end and (end - start).days > MAX_DAYS:
            raise forms.ValidationError(_("Choose a date range of at most five years."))
        return data

    def request_filter(self) -> RequestFilter:
        """The filter to use: the valid fields, defaults for the rest (the last 90 days)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - datetime.timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            start = end
        return RequestFilter(
            start=start,
            end=end,
            category_id=data.get("category"),
            period=data.get("period") or "week",
        )


class MonthForm(core_forms.Form):
    """每月一题's month, as YYYY-MM (an <input type="month">)."""

    month = forms.CharField(
        label=_("Month"), required=False, widget=forms.TextInput({"type": "month"})
    )

    def clean_month(self) -> datetime.date:
        text = (self.cleaned_data.get("month") or "").strip()
        if not text:
            return default_month()
        try:
            year, month = (int(part) for part in text.split("-"))
            if not (2000 <= year <= 2100):
                raise ValueError
            return datetime.date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(
                _("“%(value)s” is not a month: write it as YYYY-MM, for example 2026-05."),
                params={"value": text[:20]},
            ) from None


def default_month() -> datetime.date:
    """The last whole month."""
    return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
