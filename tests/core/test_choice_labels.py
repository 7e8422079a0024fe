"""core.models.ChoiceLabels: get_FOO_display() from a table made once per field gives what
Django's own gives, in the reader's language."""

from django.db import models
from django.utils import translation

from core.models import DayKind
from resident_requests.models import EventKind, RequestEvent, ResidentRequest, Status


def test_every_label_is_djangos_in_both_languages():
    field = RequestEvent._meta.get_field("kind")
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for kind in EventKind:
                event = RequestEvent(kind=kind)
                assert event.get_kind_display() == models.Model._get_FIELD_display(event, field)
    with translation.override("zh-hans"):
        assert RequestEvent(kind=EventKind.RESOLVED).get_kind_display() == "已办结"
        assert ResidentRequest(status=Status.SUBMITTED).get_status_display() == "待受理"
    with translation.override("en"):
        assert RequestEvent(kind=EventKind.RESOLVED).get_kind_display() == "Resolved"
        assert ResidentRequest(status=Status.SUBMITTED).get_status_display() == "Submitted (待受理)"


def test_a_value_not_among_the_choices_is_shown_as_it_is():
    assert RequestEvent(kind="no-such-kind").get_kind_display() == "no-such-kind"
    assert ResidentRequest(status="").get_status_display() == ""
    assert ResidentRequest(status=None).get_status_display() is None


def test_models_on_the_time_stamped_base_have_it_too():
    from core.models import CalendarDay

    with translation.override("en"):
        assert CalendarDay(kind=DayKind.HOLIDAY).get_kind_display() == str(DayKind.HOLIDAY.label)
