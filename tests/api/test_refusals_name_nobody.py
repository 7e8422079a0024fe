"""A refusal never names a person the caller could not see (issue 19.4a): dispatching to a
person outside the grid answered "邓建国 is not a party member of …" for every id tried."""

import pytest
from django.conf import settings
from django.utils import translation

from resident_requests import services
from tests.organization.factories import PersonFactory
from tests.resident_requests.factories import submit

URL = "/api/v1/requests/"


@pytest.mark.parametrize("who", ["other_grid", "no_branch"])
def test_dispatch_to_a_person_out_of_scope_names_nobody(w, client_for, who):
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    person = w.members[1] if who == "other_grid" else PersonFactory(name="邓建国")
    client = client_for(w.users["leader"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override(settings.LANGUAGE_CODE):  # the request's English stays in it
        response = client.post(f"{URL}{request.code}/dispatch/", {"assignee": person.pk})
    assert response.status_code == 403
    assert "not a party member" in response.json()["detail"]
    assert person.name not in response.content.decode()
    request.refresh_from_db()
    assert request.assignee_id is None
