"""Escalation (issue 16, point 6e): each level's button says what it does, the reason is
required, and only the level holding the request escalates it (from the transitions table)."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from core.exceptions import ApplicationError, OutOfScope
from resident_requests import selectors, services
from resident_requests.models import EventKind, HandlingLevel
from resident_requests.transitions import TRANSITIONS, Surface

from .factories import at_level, submit

pytestmark = pytest.mark.django_db


def _escalate_offered(user, request) -> bool:
    return TRANSITIONS["escalate"] in selectors.transitions_available(
        user, request, surface=Surface.ADMIN
    )


def test_only_the_level_holding_the_request_may_escalate_it(w):
    grid_level = at_level(w, HandlingLevel.GRID)
    street_level = at_level(w, HandlingLevel.STREET)
    # The grid leader submits a grid-level request to the community …
    assert _escalate_offered(w.users["leader"], grid_level)
    # … but the community and the street do not escalate it for the grid.
    for role in ("community", "street"):
        assert not _escalate_offered(w.users[role], grid_level), role
        with pytest.raises(OutOfScope):
            services.request_escalate(request=grid_level, actor=w.users[role], note="越级")
    # A street-level request: only the street blows the whistle (吹哨).
    assert _escalate_offered(w.users["street"], street_level)
    for role in ("leader", "community"):
        assert not _escalate_offered(w.users[role], street_level), role
    grid_level.refresh_from_db()
    assert grid_level.level == HandlingLevel.GRID
    assert not grid_level.events.filter(kind=EventKind.ESCALATED).exists()


def test_escalating_without_a_reason_is_refused_and_changes_nothing(w):
    request = at_level(w, HandlingLevel.GRID)
    with pytest.raises(ApplicationError, match="reason"), translation.override("en"):
        services.request_escalate(request=request, actor=w.users["leader"], note="  ")
    request.refresh_from_db()
    assert request.level == HandlingLevel.GRID
    assert not request.events.filter(kind=EventKind.ESCALATED).exists()
    # The deadline rounds (the system) escalate without one.
    services.request_escalate(request=request, actor=None)
    request.refresh_from_db()
    assert request.level == HandlingLevel.COMMUNITY


def test_admin_escalate_page_says_the_reason_is_missing(client, w):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    request = at_level(w, HandlingLevel.GRID)
    client.force_login(w.users["leader"])
    url = reverse(
        "admin:resident_requests_residentrequest_transition", args=[request.pk, "escalate"]
    )
    page = client.post(url, {"note": ""})
    assert page.status_code == 200
    assert "Give the reason for escalating" in page.content.decode()
    request.refresh_from_db()
    assert request.level == HandlingLevel.GRID


@pytest.mark.parametrize(
    ("level", "role", "label"),
    [
        (HandlingLevel.GRID, "leader", "Submit to the community"),
        (HandlingLevel.COMMUNITY, "community", "Submit to the street"),
        (HandlingLevel.STREET, "street", "Blow the whistle: call in departments"),
        (HandlingLevel.DEPARTMENT, "street", "Call in more departments"),
    ],
)
def test_the_escalate_button_says_what_it_does_at_each_level(client, w, level, role, label):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    request = at_level(w, level)
    client.force_login(w.users[role])
    page = client.get(reverse("admin:resident_requests_residentrequest_change", args=[request.pk]))
    assert label in page.content.decode()
    # The same words on the transition's own page (from the one table, not per surface).
    url = reverse(
        "admin:resident_requests_residentrequest_transition", args=[request.pk, "escalate"]
    )
    assert label in client.get(url).content.decode()


def test_the_escalate_label_of_a_request_without_one_falls_back_to_the_table_label(w):
    assert TRANSITIONS["escalate"].label_for(None) == TRANSITIONS["escalate"].label
    request = submit(w)
    assert TRANSITIONS["escalate"].label_for(request) != TRANSITIONS["escalate"].label
