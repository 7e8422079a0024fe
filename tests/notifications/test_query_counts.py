"""What the notifications of a new request cost in SQL queries, inside the submission's
transaction: a fixed number, whatever the number of staff, grids and duty staff, and the same
people told as before.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids.models import Grid
from notifications.models import Notification
from organization.models import PoliticalStatus, StaffRole, UnitKind
from resident_requests import messages as request_messages
from resident_requests.models import HandlingLevel
from tests.organization.factories import PersonFactory, staff_user, unit

from .factories import RESIDENT_PHONE, category, submit, world

pytestmark = pytest.mark.django_db

# SAVEPOINT, the short link of the resident's receipt, the INSERT of the outbox rows (staff's
# and the receipt, their ids come back with it), RELEASE. The recipients (the grid with its
# leader and units; the grid leader logins, the community's and the street's duty staff and the
# grid leader's own login, in one query) are kept in each process's memory
# (recipients.grid_staff): read by the first request of a grid after any change to them,
# SUBMITTED_QUERIES_COLD. (5 before that memory; 8 before the one recipients' query: two staff
# queries, the leader's login, the idempotency look-up and a re-read of the rows just inserted;
# 4 before the receipt, whose short link is the one query it adds.)
SUBMITTED_QUERIES = 4
SUBMITTED_QUERIES_COLD = SUBMITTED_QUERIES + 2


@pytest.fixture
def routes(settings):
    settings.NOTIFICATIONS_ROUTES = {
        "resident": ["sms"],
        "staff": ["sms", "email", "wecom"],
        "department": ["sms"],
    }
    settings.WECOM_WEBHOOK_URL = "http://127.0.0.1:9/wecom"  # never reached: nothing is sent
    return settings


def more_staff(w, n=4):
    """More grid-leader logins and duty staff here, and other grids with their own staff."""
    phones = []
    for i in range(n):
        for role, scope_unit in (
            (StaffRole.GRID_LEADER, w.grid_unit),
            (StaffRole.COMMUNITY_STAFF, w.community),
        ):
            user = staff_user(role, unit=scope_unit, email=f"{role}{i}@example.org")
            phone = f"1370000{len(phones):04d}"
            PersonFactory(phone=phone, political_status=PoliticalStatus.MASSES, user=user)
            phones.append(phone)
        other_unit = unit(UnitKind.GRID, w.community)
        Grid.objects.create(
            code=f"{w.grid.code}-x{i}", name=f"别的网格{i}", community=w.community, unit=other_unit
        )
        staff_user(StaffRole.GRID_LEADER, unit=other_unit)  # not this grid's: not told
    inactive = staff_user(StaffRole.COMMUNITY_STAFF, unit=w.community)
    inactive.is_active = False
    inactive.save()
    return phones


def counted(monkeypatch):
    """The queries of each notify_request_event call, as the workflow makes it."""
    calls = []
    real = request_messages.notify_request_event

    def wrapper(*, event):
        with CaptureQueriesContext(connection) as captured:
            written = real(event=event)
        calls.append((len(captured), written))
        return written

    monkeypatch.setattr(request_messages, "notify_request_event", wrapper)
    return calls


@pytest.mark.parametrize("size", ["small", "large"])
def test_a_new_requests_notifications_take_a_fixed_number_of_queries(
    routes, monkeypatch, django_capture_on_commit_callbacks, size
):
    w = world()
    extra_phones = more_staff(w) if size == "large" else []
    calls = counted(monkeypatch)
    with django_capture_on_commit_callbacks(execute=False):
        submit(w)  # the grid's first request: its staff are read
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request = submit(w)
    ((cold, _), (count, written)) = calls
    assert cold == SUBMITTED_QUERIES_COLD, f"{cold} queries"
    assert count == SUBMITTED_QUERIES, f"{count} queries"
    # Who is told: the grid leader (a person with a login) and the community's duty staff, by
    # SMS and e-mail, and the group robot once, mentioning them all.
    rows = Notification.objects.filter(request_id=request.pk)
    # The resident's receipt is written in the same INSERT, by SMS only.
    (receipt,) = rows.filter(template_key="request.receipt")
    assert receipt.phone == RESIDENT_PHONE and receipt.channel == "sms"
    staff_rows = rows.exclude(pk=receipt.pk)
    sms = set(staff_rows.filter(channel="sms").values_list("phone", flat=True))
    assert sms == {w.leader.phone, "13900000003", *extra_phones}
    emails = set(rows.filter(channel="email").values_list("email", flat=True))
    assert {"gl@example.org", "community@example.org"} <= emails
    assert len(emails) == 2 + len(extra_phones)
    (group,) = rows.filter(channel="wecom")
    assert group.context["mention"] == sorted(sms)
    # The rows returned are the rows written, with their ids, and one publish carries them all.
    assert sorted(row.pk for row in written) == sorted(rows.values_list("pk", flat=True))
    assert len(callbacks) == 1


def test_the_same_count_at_a_higher_level_with_more_data(
    routes, monkeypatch, django_capture_on_commit_callbacks
):
    """A category handled by the street at once: its street staff are told too."""
    w = world()
    more_staff(w)
    w.category = category(default_level=HandlingLevel.STREET)
    calls = counted(monkeypatch)
    with django_capture_on_commit_callbacks(execute=False):
        request = submit(w)
    ((count, _written),) = calls
    assert count == SUBMITTED_QUERIES_COLD
    sms = set(
        Notification.objects.filter(request_id=request.pk, channel="sms").values_list(
            "phone", flat=True
        )
    )
    assert "13900000004" in sms and "13900000003" in sms and w.leader.phone in sms


def test_a_cause_reported_again_writes_nothing_and_publishes_its_pending_rows_again(
    routes, django_capture_on_commit_callbacks
):
    w = world()
    with django_capture_on_commit_callbacks(execute=False):
        request = submit(w)
    event = request.events.get()
    # The inbox's copies are stored, never published: the sent ones only.
    before = set(Notification.objects.exclude(channel="inbox").values_list("pk", flat=True))
    Notification.objects.filter(pk=min(before)).update(status="sent")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert request_messages.notify_request_event(event=event) == []
    assert set(Notification.objects.exclude(channel="inbox").values_list("pk", flat=True)) == before
    ((callback,),) = [callbacks]
    assert sorted(callback.keywords["ids"]) == sorted(before - {min(before)})


def test_without_returning_rows_the_same_rows_are_written_and_published(
    routes, monkeypatch, django_capture_on_commit_callbacks
):
    """A database that cannot return inserted rows: the look-up before and after the INSERT."""
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    w = world()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request = submit(w)
    rows = Notification.objects.filter(request_id=request.pk).exclude(channel="inbox")
    assert set(rows.filter(channel="sms").values_list("phone", flat=True)) == {
        w.leader.phone,
        "13900000003",
        RESIDENT_PHONE,  # the receipt
    }
    ((callback,),) = [callbacks]
    assert sorted(callback.keywords["ids"]) == sorted(rows.values_list("pk", flat=True))
    event = request.events.get()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert request_messages.notify_request_event(event=event) == []
    assert rows.count() == len(callback.keywords["ids"])
    ((again,),) = [callbacks]
    assert sorted(again.keywords["ids"]) == sorted(rows.values_list("pk", flat=True))
