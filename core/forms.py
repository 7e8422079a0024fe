"""What every form of the portal shares: its submitted text without control characters."""

from django import forms

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


class ModelForm(CleanInputMixin, forms.ModelForm):
    pass
