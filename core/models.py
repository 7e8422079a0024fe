"""Building blocks shared by every app: the time-stamped abstract base, and choice labels
read from a table."""

import functools

from django.db import models
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _


@functools.cache
def _choice_labels(field) -> dict:
    return {value: label for value, label in field.flatchoices}


class ChoiceLabels(models.Model):
    """get_FOO_display() from a table made once per field. Django's own makes a hashable copy of
    all the field's choices at every call, and hashing a label translates it: all 26 of an
    event's kinds, for each event the resident's page and the timelines show. The
    labels stay lazy in the table: each is translated when shown, in the reader's language."""

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):
        if not isinstance(field.choices, list | tuple):  # callable choices: read each time
            return super()._get_FIELD_display(field)
        value = getattr(self, field.attname)
        try:
            label = _choice_labels(field).get(value, value)
        except TypeError:  # a value that cannot be a key: Django's own way
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)


class TimeStampedModel(ChoiceLabels):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class DeadlineBasis(models.TextChoices):
    """How a deadline's hours are counted (core.workdays.deadline_add)."""

    CLOCK = "clock", _("clock hours")
    WORKING = "working", _("working hours (working days only)")


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("public holiday (day off)")
    WORKING_DAY = "working", _("working day (调休)")


class CalendarDay(TimeStampedModel):
    """A day that departs from the Monday-to-Friday week: a public holiday, or a weekend day
    that is worked (调休). Every other day is a working day when it is a weekday. Seeded from
    the chinese-calendar library (manage.py calendar_seed); later years are entered in the
    admin when the State Council publishes them."""

    date = models.DateField(
        _("date"),
        unique=True,
        error_messages={
            "unique": _("This date is already in the calendar: change that entry instead.")
        },
    )
    kind = models.CharField(_("kind"), max_length=8, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=40, blank=True, help_text=_("e.g. 春节, 国庆节"))

    class Meta:
        verbose_name = _("holiday or working-day adjustment")
        verbose_name_plural = _("holiday calendar")
        ordering = ["-date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["holiday", "working"]),
                name="calendarday_kind_valid",
            )
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}".rstrip()
