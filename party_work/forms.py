"""Forms of party_work's pages: booking a reception-day place, making a request of a booking,
logging a visit, choosing a ranking."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import forms as core_forms
from core.validators import validate_mainland_mobile
from grids.models import Building


class BookingForm(core_forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=50)
    phone = forms.CharField(
        label=_("Your mobile phone"),
        max_length=11,
        validators=[validate_mainland_mobile],
        help_text=_("We send you a reminder the day before. Nobody else sees your number."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}),
    )
    topic = forms.CharField(
        label=_("What do you want to raise?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class BookingToRequestForm(core_forms.Form):
    building = forms.ModelChoiceField(label=_("Building"), queryset=Building.objects.none())
    category = forms.ModelChoiceField(label=_("Kind of problem"), queryset=None)
    description = forms.CharField(
        label=_("Description"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args, community, **kwargs):
        from resident_requests.models import Category

        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = Building.objects.filter(
            grid__community_id=community.pk
        ).order_by("address")
        self.fields["category"].queryset = (
            Category.objects.filter(parent__isnull=False, active=True)
            .select_related("parent")
            .order_by("parent__sort_order", "sort_order")
        )


class VisitForm(core_forms.Form):
    visited_on = forms.DateField(
        label=_("Visited on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("What was talked about"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].initial = timezone.localdate()


class RankingForm(core_forms.Form):
    unit = forms.ChoiceField(label=_("Street or community"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label=_("Quarter"), coerce=int, choices=[(q, f"Q{q}") for q in range(1, 5)]
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
