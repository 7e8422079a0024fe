"""What resolving and a department's 报到 leave behind, and what staff read when refused, pinned
(mutation testing found each of these unheld): the message when the "what was done" note is
missing; the timeline's 已办结 row (who, from which status, the note the resident reads); a
department's report-in note, its default, and the refusal of a second one; a bad phone refused
in the validator's words; the extension limits when the settings say nothing."""

import pytest

from core.exceptions import ApplicationError, IllegalTransition
from resident_requests import services
from resident_requests.models import EventKind, HandlingLevel, RequestEvent, Status

from .factories import at_level, submit, taken

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_resolving_without_saying_what_was_done_is_refused_in_words(w):
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    with pytest.raises(ApplicationError) as refused:
        services.request_resolve(request=request, actor=w.users["leader"], note="  ")
    assert refused.value.message == "Say what was done: the resident will read it."
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED


def test_the_resolved_row_says_who_resolved_from_which_status_and_what_was_done(w):
    request = taken(w)
    member = w.members[0]
    services.request_resolve(request=request, actor=member.user, note=" 换了灯泡。 ")
    event = RequestEvent.objects.get(request=request, kind=EventKind.RESOLVED)
    assert event.actor == member.user
    assert event.from_status == Status.TAKEN
    assert event.public_note == "换了灯泡。"


def test_a_department_reports_in_once_with_its_note_or_a_default_one(w):
    request = at_level(w, HandlingLevel.DEPARTMENT)
    department, other = w.department, w.other_department
    services.department_acknowledge(request=request, department=department, actor=w.users["dept"])
    services.department_acknowledge(
        request=request, department=other, actor=w.users["dept2"], note=" 明天上门。 "
    )
    notes = dict(
        RequestEvent.objects.filter(
            request=request, kind=EventKind.DEPARTMENT_ACKNOWLEDGED
        ).values_list("department_id", "public_note")
    )
    assert notes == {department.pk: f"{department} reported in.", other.pk: "明天上门。"}

    with pytest.raises(IllegalTransition) as refused:
        services.department_acknowledge(
            request=request, department=department, actor=w.users["dept"]
        )
    assert refused.value.message == (
        f"{department} has already reported in on request {request.code}."
    )
    assert (
        RequestEvent.objects.filter(request=request, kind=EventKind.DEPARTMENT_ACKNOWLEDGED).count()
        == 2
    )


def test_a_phone_that_is_not_a_mobile_number_is_refused_in_the_validators_words():
    with pytest.raises(ApplicationError) as refused:
        services.phone_verification_start(phone="12345")
    assert refused.value.message == (
        "Enter a mainland China mobile number: 11 digits starting with 13 to 19."
    )


@pytest.mark.parametrize("configured", ["empty", "absent"])
def test_without_configured_limits_a_request_may_have_two_extensions_of_five_days(
    settings, configured
):
    if configured == "empty":
        settings.REQUEST_DEADLINES = {}
    else:
        del settings.REQUEST_DEADLINES
    assert services.extension_limits() == (2, 5)


def test_a_request_from_the_list_of_buildings_takes_the_buildings_address(w):
    assert submit(w).address == w.buildings[0].address
