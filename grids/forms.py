"""Forms of the public station finder (GET forms: every search is a link that can be shared)."""

import math

from django import forms
from django.utils.translation import gettext_lazy as _

from core import forms as core_forms
from organization.models import OrgUnit

from . import selectors
from .models import Building, StationService


class CommunityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name.replace("社区党委", "社区").replace("社区党总支", "社区")


class StreetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name.replace("党工委", "")


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.label


class StationFilterForm(core_forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=60,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Station name, road or service")}
        ),
    )
    street = StreetChoiceField(
        label=_("Street"), queryset=OrgUnit.objects.none(), required=False, empty_label=_("All")
    )
    community = CommunityChoiceField(
        label=_("Community"), queryset=OrgUnit.objects.none(), required=False, empty_label=_("All")
    )
    service = ServiceChoiceField(
        label=_("Service"),
        queryset=StationService.objects.none(),
        required=False,
        to_field_name="code",
        empty_label=_("All"),
    )
    open_now = forms.BooleanField(label=_("Open now"), required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = selectors.street_choices()
        self.fields["community"].queryset = selectors.community_choices()
        self.fields["service"].queryset = selectors.service_choices()

    def search_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "text": data.get("q") or "",
            "street": data.get("street"),
            "community": data.get("community"),
            "service": data.get("service"),
            "open_now": bool(data.get("open_now")),
        }

    @property
    def has_filters(self) -> bool:
        if not self.is_bound:
            return False
        self.is_valid()
        return any(self.cleaned_data.get(f) for f in ("street", "community", "service"))


def _finite(value):
    if value is not None and not math.isfinite(value):
        raise forms.ValidationError(_("Enter a number."))
    return value


class NearestForm(core_forms.Form):
    """Where the resident is: a point from the browser, a building picked, or words to find it."""

    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    building = forms.ModelChoiceField(
        queryset=Building.objects.select_related("grid"), required=False, widget=forms.HiddenInput
    )
    address = forms.CharField(
        label=_("Your building's address"),
        required=False,
        max_length=60,
        help_text=_("For example: 京口路 3号楼, or the name of your estate."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def clean_lat(self):
        return _finite(self.cleaned_data.get("lat"))

    def clean_lng(self):
        return _finite(self.cleaned_data.get("lng"))

    def clean(self):
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lng") is None):
            raise forms.ValidationError(_("Your location came without latitude or longitude."))
        return data
