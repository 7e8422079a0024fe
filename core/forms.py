"""What every form of the portal shares: its submitted text without control characters."""

import copy

from django import forms
from django.forms.widgets import ChoiceWidget

from .validators import scrub_input


class CleanInputMixin:
    """Strips C0 control characters (but tab, newline, carriage return) from everything a bound
    form was given, before any field sees it: no field of any form can store one.

    Put it first among the bases of a form that does not derive from core.forms.Form (the admin's
    login and import forms); tests/core/test_control_chars.py finds a project form without it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            self.data = scrub_input(self.data)


class Form(CleanInputMixin, forms.Form):
    pass


def _shallow(obj):
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    return new


class CheapCopyFields(dict):
    """A form class's fields (set as its `base_fields`), copied for each form as
    `copy.deepcopy` would (Field.__deepcopy__: the field, its widget and the widget's attributes,
    its error messages and validators, each the form's own) but for a choice field's choices and
    a model choice field's queryset, which are shared instead of copied: the form's code may
    assign them, never change them in place. Copying the fields this way costs a fifth of
    Django's, for a form built on every POST of a hot page (the resident's request form).
    """

    def __deepcopy__(self, memo):
        fields = {}
        for name, field in self.items():
            new = _shallow(field)
            new.widget = widget = _shallow(field.widget)
            widget.attrs = field.widget.attrs.copy()
            if isinstance(widget, ChoiceWidget):
                widget.choices = copy.copy(field.widget.choices)
            new.error_messages = field.error_messages.copy()
            new.validators = field.validators[:]
            fields[name] = new
        return fields


class ModelForm(CleanInputMixin, forms.ModelForm):
    pass
