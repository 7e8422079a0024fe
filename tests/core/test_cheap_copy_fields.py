"""core.forms.CheapCopyFields: each form gets its own fields, as with Django's deepcopy, so
that what one page does to its form never reaches the next page's; the resident's request form
copies its fields this way."""

import copy

from django import forms
from django.test import TestCase

from core import forms as core_forms
from resident_requests.forms import RequestForm


class Sample(core_forms.Form):
    name = forms.CharField(max_length=5, widget=forms.TextInput(attrs={"class": "big"}))
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")])
    size = forms.IntegerField(min_value=1)


Sample.base_fields = core_forms.CheapCopyFields(Sample.base_fields)


class CheapCopyFieldsTests(TestCase):
    def test_each_form_has_its_own_fields_widgets_attributes_messages_and_validators(self):
        first, second = Sample(), Sample()
        for name in Sample.base_fields:
            a, b, base = first.fields[name], second.fields[name], Sample.base_fields[name]
            assert a is not b and a is not base
            assert a.widget is not b.widget and a.widget is not base.widget
            assert a.widget.attrs is not b.widget.attrs
            assert a.error_messages is not b.error_messages
            assert a.validators is not b.validators
        first.fields["name"].widget.attrs["class"] = "changed"
        first.fields["name"].error_messages["required"] = "changed"
        first.fields["size"].validators.clear()
        first.fields["kind"].widget.choices.append(("c", "C"))
        first.fields["kind"].choices = [("z", "Z")]
        first.fields["name"].required = False

        third = Sample({"name": "", "kind": "z", "size": "0"})
        assert third.fields["name"].widget.attrs == {"class": "big", "maxlength": "5"}
        assert list(third.fields["kind"].choices) == [("a", "A"), ("b", "B")]
        assert third.fields["kind"].widget.choices == [("a", "A"), ("b", "B")]
        assert not third.is_valid()
        assert third.errors["name"] == [str(forms.Field.default_error_messages["required"])]
        assert "kind" in third.errors  # "z" was the first form's choice only
        assert "size" in third.errors  # the first form's validators were its own

    def test_the_copy_is_what_deepcopy_gives_a_plain_form(self):
        cheap = copy.deepcopy(RequestForm.base_fields)
        plain = copy.deepcopy(dict(RequestForm.base_fields))
        assert list(cheap) == list(plain)
        for name in plain:
            a, b = cheap[name], plain[name]
            assert type(a) is type(b) and type(a.widget) is type(b.widget)
            assert vars(a).keys() == vars(b).keys(), name
            assert a.widget.attrs == b.widget.attrs and a.error_messages == b.error_messages
            assert a.validators == b.validators and a.required == b.required

    def test_the_request_form_copies_its_fields_cheaply_each_form_its_own(self):
        assert isinstance(RequestForm.base_fields, core_forms.CheapCopyFields)
        form = RequestForm()
        form.fields["description"].widget.attrs["rows"] = 9
        assert RequestForm().fields["description"].widget.attrs["rows"] == 5
