""" "Me too" refusals as the resident sees them (found by `make mutants`): a phone that is not a
mobile number is refused with the reason, and the phone field named for the form and the API;
a phone already following the request is told so."""

import pytest

from core.exceptions import ApplicationError
from resident_requests import services
from resident_requests.models import EventKind

from .factories import PHONE, submit

pytestmark = pytest.mark.django_db


def test_a_phone_that_is_not_a_mobile_is_refused_with_the_field_s_error(w):
    request = submit(w)
    with pytest.raises(ApplicationError) as refused:
        services.request_support(request=request, phone="12345")
    assert refused.value.message
    assert refused.value.message == " ".join(refused.value.extra["phone"])
    request.refresh_from_db()
    assert request.supporters_count == 0
    assert not request.events.filter(kind=EventKind.SUPPORTED).exists()


@pytest.mark.parametrize("phone", [PHONE, "13700000001"])
def test_a_phone_already_following_is_told_so(w, phone):
    request = submit(w)
    services.request_support(request=request, phone="13700000001")
    with pytest.raises(ApplicationError) as refused:
        services.request_support(request=request, phone=phone)
    assert refused.value.message
    request.refresh_from_db()
    assert request.supporters_count == 1
    assert request.events.filter(kind=EventKind.SUPPORTED).count() == 1
