"""Signals other apps may listen to."""

from django.dispatch import Signal

# Sent by `manage.py load_demo` when every app's demo data is in (bulk inserts send no
# post_save): receivers drop what they keep derived from the data, such as cached figures.
demo_loaded = Signal()
