"""Forms of the public pages and the member pages. They check input; services do the writing."""

from typing import ClassVar

from django import forms
from django.core import signing
from django.utils.crypto import get_random_string
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.validators import validate_mainland_mobile
from grids.models import Building

from .models import DESCRIPTION_MAX_LENGTH, Category, Rating
from .selectors import buildings_matching, categories_tree

FORM_TOKEN_SALT = "resident_requests.form_token"  # noqa: S105 - a signing salt
FORM_TOKEN_MAX_AGE = 6 * 3600  # a resident may take their time typing


def new_form_token() -> str:
    return signing.dumps(get_random_string(32), salt=FORM_TOKEN_SALT)


def form_token_valid(token: str) -> bool:
    try:
        signing.loads(token or "", salt=FORM_TOKEN_SALT, max_age=FORM_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return False
    return True


def _frozen(value):
    """A hashable stand-in for widget inputs: containers as tuples, everything else by its type
    and its text (lazy labels in the current language; a SafeString is not a str here)."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return (type(value).__name__, str(value))


class MemoizedRender:
    """Widget mixin: the HTML of each distinct (widget, name, value, attributes, choices,
    language, renderer) is rendered once per process, then reused; it depends on nothing else.

    Django renders every widget, and every option of a <select>, through a template: for the
    form page that was most of its time, for the same HTML on every view. Only empty values are
    kept (what residents type is never held in memory), and a <select>'s short option values;
    choices that are not a plain list (a model iterator) are rendered as usual."""

    memoize = True
    MAX_ENTRIES = 512
    _rendered: ClassVar[dict] = {}

    def _memo_value_ok(self, value) -> bool:
        return value is None or value is False or value == "" or value == []

    def render(self, name, value, attrs=None, renderer=None):
        choices = getattr(self, "choices", [])
        if not (self.memoize and isinstance(choices, list) and self._memo_value_ok(value)):
            return super().render(name, value, attrs, renderer)
        key = (
            type(self),
            type(renderer),
            get_language(),
            self.template_name,
            self.is_required,
            self.is_localized,
            name,
            _frozen(value),
            _frozen(self.attrs),
            _frozen(attrs or {}),
            _frozen(choices),
        )
        rendered = MemoizedRender._rendered
        html = rendered.get(key)
        if html is None:
            html = super().render(name, value, attrs, renderer)
            if len(rendered) >= self.MAX_ENTRIES:
                rendered.clear()  # posted values are not ours to pile up
            rendered[key] = html
        return html


class MemoizedSelect(MemoizedRender, forms.Select):
    def _memo_value_ok(self, value) -> bool:
        # An option's value (a category's id), whichever is chosen.
        return len(str(value)) <= 20


class MemoizedTextInput(MemoizedRender, forms.TextInput):
    pass


class MemoizedTextarea(MemoizedRender, forms.Textarea):
    pass


class MemoizedHiddenInput(MemoizedRender, forms.HiddenInput):
    pass


class MemoizedCheckboxInput(MemoizedRender, forms.CheckboxInput):
    pass


class MultipleFileInput(MemoizedRender, forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Up to 3 files; their content is checked by resident_requests.photos, not here."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > 3:
            raise forms.ValidationError(_("Send at most 3 photos."))
        return [super(MultiplePhotoField, self).clean(f, initial) for f in files]


def _phone_field():
    return forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        help_text=_("11 digits. We only use it to tell you how your request is going."),
        widget=MemoizedTextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "pattern": r"1[3-9]\d{9}"}
        ),
    )


def _clean_phone(value: str) -> str:
    value = "".join(ch for ch in (value or "") if not ch.isspace() and ch != "-")
    validate_mainland_mobile(value)
    return value


class RequestForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=50,
        widget=MemoizedTextInput(attrs={"autocomplete": "name"}),
    )
    phone = _phone_field()
    building_text = forms.CharField(
        label=_("Your building"),
        max_length=100,
        help_text=_("Type part of the address, e.g. the road or the estate, then pick it."),
        widget=MemoizedTextInput(attrs={"autocomplete": "off", "data-building-search": "1"}),
    )
    building = forms.IntegerField(required=False, widget=MemoizedHiddenInput)
    address = forms.CharField(
        label=_("Where exactly (optional)"),
        max_length=200,
        required=False,
        help_text=_("E.g. unit 2, 3rd floor, the stairwell, the gate."),
        widget=MemoizedTextInput,
    )
    category_group = forms.ChoiceField(
        label=_("What is it about"), required=False, widget=MemoizedSelect
    )
    category = forms.ModelChoiceField(
        label=_("Kind of problem"),
        queryset=Category.objects.filter(active=True, parent__isnull=False),
        widget=MemoizedSelect,
    )
    description = forms.CharField(
        label=_("Describe the problem"),
        min_length=5,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=MemoizedTextarea(attrs={"rows": 5}),
    )
    photos = MultiplePhotoField(
        label=_("Photos (optional, up to 3)"),
        help_text=_("JPEG, PNG or WebP, at most 5 MB each."),
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that my name, phone number and this report are used to handle my request."
        ),
        error_messages={"required": _("Tick the box to agree, or we cannot handle the request.")},
        widget=MemoizedCheckboxInput,
    )
    # A field people never see (hidden by CSS); bots fill it in.
    website = forms.CharField(required=False, label=_("Leave this empty"), widget=MemoizedTextInput)
    form_token = forms.CharField(widget=forms.HiddenInput)  # a new value on every page
    confirm_new = forms.CharField(required=False, widget=MemoizedHiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The two-level picker: first level to narrow down (by JS), second level grouped by first.
        tree = categories_tree()
        self.fields["category_group"].choices = [("", _("— choose —"))] + [
            (parent.pk, parent.name) for parent, _children in tree
        ]
        self.fields["category"].widget.choices = [("", _("— choose the kind of problem —"))] + [
            (parent.name, [(c.pk, c.name) for c in children]) for parent, children in tree
        ]
        self.building_candidates: list[Building] = []

    def clean_phone(self):
        return _clean_phone(self.cleaned_data["phone"])

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter your name."))
        return name

    def clean(self):
        cleaned = super().clean()
        text = (cleaned.get("building_text") or "").strip()
        building_id = cleaned.get("building")
        building = None
        if building_id:
            # With what the submission and its notifications read next (the grid's leader and
            # units), in this one query.
            building = (
                Building.objects.filter(pk=building_id)
                .select_related("grid__leader", "grid__unit", "grid__community")
                .first()
            )
            if building and text and text.lower() not in building.address.lower():
                building = None  # the resident changed the text after picking
        if building is None and text:
            exact = list(Building.objects.filter(address=text)[:2])
            matches = exact or list(buildings_matching(text, limit=8))
            if len(matches) == 1:
                building = matches[0]
            elif matches:
                self.building_candidates = matches
                self.add_error(
                    "building_text",
                    _("Several buildings match: pick yours from the list."),
                )
            else:
                self.add_error(
                    "building_text",
                    _(
                        "We could not find that building. Type part of the road or estate name, "
                        "e.g. 京口路, and pick it from the list."
                    ),
                )
        if building is not None:
            cleaned["building_obj"] = building
            cleaned["building"] = building.pk
            cleaned["building_text"] = building.address
        if cleaned.get("website"):
            raise forms.ValidationError(_("The form could not be sent. Please try again."))
        return cleaned


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=24,
        help_text=_("It looks like JK-20261125-7KQ3MX2PA."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )
    phone_last4 = forms.CharField(
        label=_("Last 4 digits of your phone"),
        min_length=4,
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": r"\d{4}"}),
    )


class RatingForm(forms.Form):
    rating = forms.ChoiceField(
        label=_("How satisfied are you with the result?"),
        choices=Rating.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SupportForm(forms.Form):
    ref = forms.CharField(max_length=40, widget=forms.HiddenInput)
    building = forms.IntegerField(widget=forms.HiddenInput)
    category = forms.IntegerField(widget=forms.HiddenInput)
    phone = _phone_field()
    consent = forms.BooleanField(
        label=_("I agree that my phone number is used to send me updates on this problem."),
        error_messages={"required": _("Tick the box to agree, or we cannot add you.")},
    )

    def clean_phone(self):
        return _clean_phone(self.cleaned_data["phone"])


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )


class ResolveForm(NoteForm):
    photos = MultiplePhotoField(
        label=_("Photos (optional, up to 3)"),
        help_text=_("JPEG, PNG or WebP, at most 5 MB each."),
    )
