"""Forms of the public pages and the member pages. They check input; services do the writing."""

import copy
import functools
import unicodedata
from typing import ClassVar

from django import forms
from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.utils.choices import normalize_choices
from django.utils.crypto import get_random_string
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core import forms as core_forms
from core.cache import memo_values
from core.rows import row_by_pk
from core.validators import validate_mainland_mobile
from grids.forms import CommunityChoiceField, StreetChoiceField
from grids.models import Building
from grids.selectors import (
    COMMUNITIES_BY_STREET,
    CommunityGroups,
    community_choices,
    grid_for_address,
    point_in_district,
    street_choices,
)
from organization.models import OrgUnit, UnitKind

from .models import DESCRIPTION_MAX_LENGTH, Category, Rating, RequestType
from .photos import photo_help_text
from .recipients import GRID_STAFF, grid_staff
from .selectors import (
    CATEGORY_CHOICES,
    CategoryChoices,
    buildings_matching,
    categories_tree,
    normalize_tracking_code,
)

_MAP_POINT_UNREADABLE = _("The map point could not be read: put the pin on the map again.")

BLANK_FIELDS_TEMPLATE = "resident_requests/_request_form_fields.html"
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
    # Set by a form whose choices come from a memo (core.cache.LocalMemo): a value that changes
    # whenever they do, used in the key instead of the choices themselves.
    choices_key = None

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
            self.choices_key or _frozen(choices),
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
        kwargs.setdefault("help_text", photo_help_text())
        super().__init__(*args, **kwargs)
        self.widget.attrs.update(
            {
                "accept": "image/jpeg,image/png,image/webp",
                # photo_resize.js scales the chosen photos down before sending and says so.
                "data-photo-resize": "1",
                "data-busy-text": _("Compressing the photos…"),
                "data-done-text": _("The photos are ready to send."),
            }
        )

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > 3:
            raise forms.ValidationError(_("Send at most 3 photos."))
        return [super(MultiplePhotoField, self).clean(f, initial) for f in files]


class CategoryChoiceField(forms.ModelChoiceField):
    """A category chosen by its id, found among `leaves` (the categories a request may have,
    kept in memory by selectors.category_choices) instead of by a query; its own copy, so that
    nothing a page does to it reaches the next page."""

    leaves: dict | None = None

    def to_python(self, value):
        if self.leaves is None or value in self.empty_values:
            return super().to_python(value)
        self.validate_no_null_characters(value)
        try:
            category = self.leaves.get(int(str(value).strip()))
        except (TypeError, ValueError):
            category = None
        if category is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return copy.copy(category)


@functools.lru_cache(maxsize=8)
def _picker_choices(categories: CategoryChoices, communities: CommunityGroups):
    """The pickers' choices for one version of the categories and of the communities (both
    hashed by identity: a new version is a new object)."""
    tree = categories.tree
    groups = [("", _("— choose —"))] + [(parent.pk, parent.name) for parent, _kids in tree]
    leaves = [("", _("— choose the kind of problem —"))] + [
        (parent.name, [(c.pk, c.name) for c in children]) for parent, children in tree
    ]
    community = [("", _("— choose your community —"))] + list(communities.groups)
    return normalize_choices(groups), leaves, normalize_choices(community)


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


class RequestForm(core_forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=50,
        widget=MemoizedTextInput(attrs={"autocomplete": "name"}),
    )
    phone = _phone_field()
    # Required unless the building is not in the list and a map point says where (clean()).
    building_text = forms.CharField(
        label=_("Your building"),
        max_length=100,
        required=False,
        help_text=_("Type part of the address, e.g. the road or the estate, then pick it."),
        widget=MemoizedTextInput(attrs={"autocomplete": "off", "data-building-search": "1"}),
    )
    building = forms.IntegerField(required=False, widget=MemoizedHiddenInput)
    # "My building is not in the list": then the typed address and/or a map point (lat, lng,
    # set by request_form.js from the map or the phone's location) and/or the community.
    not_listed = forms.BooleanField(
        label=_("My building is not in the list"),
        required=False,
        widget=MemoizedCheckboxInput(attrs={"data-not-listed": "1"}),
    )
    lat = forms.FloatField(
        required=False,
        min_value=-90,
        max_value=90,
        widget=MemoizedHiddenInput,
        error_messages={"invalid": _MAP_POINT_UNREADABLE, "min_value": _MAP_POINT_UNREADABLE,
                        "max_value": _MAP_POINT_UNREADABLE},
    )  # fmt: skip
    lng = forms.FloatField(
        required=False,
        min_value=-180,
        max_value=180,
        widget=MemoizedHiddenInput,
        error_messages={"invalid": _MAP_POINT_UNREADABLE, "min_value": _MAP_POINT_UNREADABLE,
                        "max_value": _MAP_POINT_UNREADABLE},
    )  # fmt: skip
    community = forms.TypedChoiceField(
        label=_("Your community (if you know it)"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("It helps the right staff get your request."),
        widget=MemoizedSelect,
    )
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
    category = CategoryChoiceField(
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
    )
    # The kinds are RequestType's; the form says each in plain words. Not required: a page
    # opened before this field existed is still accepted, as a request for help.
    request_type = forms.ChoiceField(
        label=_("What do you want to do?"),
        required=False,
        initial=RequestType.HELP,
        choices=[
            (RequestType.HELP, _("Ask for help: something needs doing or fixing")),
            (RequestType.COMPLAINT, _("Complain: something is wrong and someone must answer")),
            (RequestType.SUGGESTION, _("Suggest: an idea to make things better")),
            (RequestType.INQUIRY, _("Ask a question: about a service or a rule")),
        ],
        widget=forms.RadioSelect,
    )
    public_allowed = forms.BooleanField(
        label=_("Others may see this problem on the public pages"),
        required=False,
        help_text=_(
            "Only the kind of problem, the building, the date and your description with names, "
            "phone numbers and room numbers removed would be shown. Your name and phone never are. "
            "If you leave this empty, nothing is shown."
        ),
        widget=MemoizedCheckboxInput,
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
        # The two-level picker: first level to narrow down (by JS), second level grouped by first;
        # and the communities. Kept in this process's memory: their versions in one cache read.
        # A posted form reads its grids' staff too (the building's grid), in the same read.
        memos = [CATEGORY_CHOICES, COMMUNITIES_BY_STREET]
        categories, communities, *grids = memo_values(
            *memos, *([GRID_STAFF] if self.is_bound else [])
        )
        self._grids = grids[0] if grids else None
        groups, leaves, community = _picker_choices(categories, communities)
        key = ("pickers", categories.version, communities.version)
        # Assigned as they are (normalized once, in _picker_choices): ChoiceField.choices would
        # normalize them again on every page. Nobody changes them: they are shared.
        for name, choices in (("category_group", groups), ("community", community)):
            self.fields[name]._choices = self.fields[name].widget.choices = choices
        self.fields["category"].widget.choices = leaves
        self.fields["category"].leaves = categories.leaves
        for name in ("category_group", "category", "community"):
            self.fields[name].widget.choices_key = key
        self._pickers_key = key
        self.building_candidates: list[Building] = []
        # For the "not in the list" map (request_form.js): tiles if the server has them.
        self.map_tile_url = settings.MAP_TILE_URL
        self.map_attribution = settings.MAP_TILE_ATTRIBUTION
        self.district_bounds_text = ",".join(str(v) for v in settings.DISTRICT_BOUNDS)

    @classmethod
    def blank_page_key(cls) -> tuple | None:
        """What the page of a blank form shows besides its CSRF and form tokens (the language,
        the pickers' versions, the map's settings), read without building a form; None when the
        widgets are not memoized."""
        if not MemoizedRender.memoize:
            return None
        categories, communities = memo_values(CATEGORY_CHOICES, COMMUNITIES_BY_STREET)
        return (
            get_language(),
            categories.version,
            communities.version,
            settings.MAP_TILE_URL,
            settings.MAP_TILE_ATTRIBUTION,
            tuple(settings.DISTRICT_BOUNDS),
        )

    # The fields of a blank form as HTML, by language, pickers' version and map settings.
    _blank_fields: ClassVar[dict] = {}

    def blank_fields_html(self) -> str | None:
        """The fields of this blank form (no data, only the form token as initial value: it is
        not among them), rendered once per process and then reused; None for a posted form."""
        if self.is_bound or not MemoizedRender.memoize:
            return None
        key = (
            get_language(),
            self._pickers_key,
            self.map_tile_url,
            self.map_attribution,
            self.district_bounds_text,
        )
        html = self._blank_fields.get(key)
        if html is None:
            html = render_to_string(BLANK_FIELDS_TEMPLATE, {"form": self})
            if len(self._blank_fields) >= 16:
                self._blank_fields.clear()
            self._blank_fields[key] = html
        return html

    def clean_phone(self):
        return _clean_phone(self.cleaned_data["phone"])

    def clean_request_type(self):
        return self.cleaned_data.get("request_type") or RequestType.HELP

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter your name."))
        return name

    def clean(self):
        cleaned = super().clean()
        text = (cleaned.get("building_text") or "").strip()
        if cleaned.get("not_listed"):
            self._clean_place(cleaned, text)
        else:
            self._clean_building(cleaned, text)
        if cleaned.get("website"):
            raise forms.ValidationError(_("The form could not be sent. Please try again."))
        return cleaned

    def _clean_place(self, cleaned, text: str) -> None:
        """The building is not in the list: a point in the district, or words that say where
        (with the community, unless the address itself names a known estate or road)."""
        cleaned["building_obj"] = None
        cleaned["building"] = None
        lat, lng = cleaned.get("lat"), cleaned.get("lng")
        if "lat" in self.errors or "lng" in self.errors:
            return
        if (lat is None) != (lng is None):
            self.add_error("lat", _MAP_POINT_UNREADABLE)
            return
        if lat is not None and not point_in_district(lat, lng):
            self.add_error(
                "lat",
                _(
                    "That point is outside Jingkou district. Put the pin where the problem is, "
                    "or write the address instead."
                ),
            )
            return
        if lat is None and not text:
            self.add_error(
                "building_text",
                _("Write where the problem is (the road, the number, the estate), or put a pin "
                  "on the map."),
            )  # fmt: skip
            return
        community = None
        if cleaned.get("community"):
            community = OrgUnit.objects.filter(
                pk=cleaned["community"], kind=UnitKind.COMMUNITY
            ).first()
            if community is None:
                self.add_error("community", _("Choose your community from the list."))
                return
        if lat is None and community is None and grid_for_address(text) is None:
            self.add_error(
                "community",
                _("We cannot tell the community from this address: choose your community."),
            )
            return
        cleaned["community_obj"] = community
        # What the resident wrote is the request's address (where exactly, after it).
        detail = (cleaned.get("address") or "").strip()
        cleaned["address"] = "，".join(part for part in (text, detail) if part)[:200]

    def _clean_building(self, cleaned, text: str) -> None:
        building_id = cleaned.get("building")
        building = None
        if building_id:
            building = row_by_pk(Building, building_id)  # its SELECT compiled once
            if building and text and text.lower() not in building.address.lower():
                building = None  # the resident changed the text after picking
            if building is not None:
                # With what the submission and its messages read next (the grid's leader and
                # units), kept in this process's memory: no query for them.
                building.grid = grid_staff(building.grid_id, grids=self._grids).grid
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
                        "e.g. 京口路, and pick it from the list, or tick “My building is not in "
                        "the list” below."
                    ),
                )
        elif building is None and "building_text" not in self.errors:
            self.add_error(
                "building_text",
                _("Type your building and pick it, or tick “My building is not in the list”."),
            )
        if building is not None:
            cleaned["building_obj"] = building
            cleaned["building"] = building.pk
            cleaned["building_text"] = building.address


# Built on every POST of the form: its fields copied cheaply (core.forms.CheapCopyFields).
RequestForm.base_fields = core_forms.CheapCopyFields(RequestForm.base_fields)


class TrackForm(core_forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        # Room for spaces typed between the parts; the code itself is 21 characters.
        max_length=40,
        help_text=_(
            "It looks like JK-20261125-7KQ3MX2PA. Dashes, spaces and small letters are fine."
        ),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )
    phone_last4 = forms.CharField(
        label=_("Last 4 digits of your phone"),
        min_length=4,
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": r"\d{4}"}),
    )

    def clean_code(self):
        return normalize_tracking_code(self.cleaned_data["code"])

    def clean_phone_last4(self):
        digits = unicodedata.normalize("NFKC", self.cleaned_data["phone_last4"]).strip()
        if not (len(digits) == 4 and digits.isascii() and digits.isdigit()):
            raise forms.ValidationError(_("Enter the last 4 digits of your phone, e.g. 5678."))
        return digits


class PhoneForm(core_forms.Form):
    """ "My requests": the phone number to send a code to."""

    phone = forms.CharField(
        label=_("Your mobile phone"),
        max_length=20,
        help_text=_("The number you gave when you reported. We send a 6-digit code to it."),
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "pattern": r"1[3-9]\d{9}"}
        ),
    )

    def clean_phone(self):
        return _clean_phone(unicodedata.normalize("NFKC", self.cleaned_data["phone"]))


class PhoneCodeForm(core_forms.Form):
    """ "My requests": the 6-digit code from the SMS."""

    code = forms.CharField(
        label=_("The 6-digit code from the SMS"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": r"\d{6}",
            }
        ),
    )

    def clean_code(self):
        code = "".join(unicodedata.normalize("NFKC", self.cleaned_data["code"]).split())
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise forms.ValidationError(_("The code has 6 digits: type the digits from the SMS."))
        return code


class RatingForm(core_forms.Form):
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


class SupportForm(core_forms.Form):
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


class NoteForm(core_forms.Form):
    note = forms.CharField(
        label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )


class ResolveForm(NoteForm):
    photos = MultiplePhotoField(
        label=_("Photos (optional, up to 3)"),
    )


class ProblemFilterForm(core_forms.Form):
    """The filters of the public map of problems (/problems/ and its GeoJSON): a GET form, so
    every filtered map is a link that can be shared."""

    STATUS_CHOICES: ClassVar = [
        ("", _("Open and recently resolved")),
        ("open", _("Still open")),
        ("resolved", _("Resolved in the last 30 days")),
    ]

    street = StreetChoiceField(
        label=_("Street"), queryset=OrgUnit.objects.none(), required=False, empty_label=_("All")
    )
    community = CommunityChoiceField(
        label=_("Community"), queryset=OrgUnit.objects.none(), required=False, empty_label=_("All")
    )
    category = forms.TypedChoiceField(
        label=_("Kind of problem"), required=False, coerce=int, empty_value=None
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = street_choices()
        self.fields["community"].queryset = community_choices()
        # Each group, then its kinds: a group's choice covers all of them. No query (memoized).
        choices = [("", _("All"))]
        for group, children in categories_tree():
            choices.append(
                (
                    group.name,
                    [(group.pk, _("All of %(group)s") % {"group": group.name})]
                    + [(child.pk, child.name) for child in children],
                )
            )
        self.fields["category"].choices = choices

    def selector_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "street": data.get("street"),
            "community": data.get("community"),
            "category_id": data.get("category"),
            "status": data.get("status") or "",
        }
