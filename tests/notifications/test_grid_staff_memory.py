"""Who a new request tells (its grid's leader, the grid leaders', the community's and the
street's staff) is kept in each process's memory (resident_requests.recipients.grid_staff), so
that a submission reads no recipients. Any change to them must show on the very next request:
nobody new left out, nobody removed still told.
"""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.signals import demo_loaded
from notifications.models import Notification
from organization.models import Person, PoliticalStatus, StaffRole, StaffScope
from resident_requests.recipients import GRID_STAFF
from tests.organization.factories import PersonFactory, staff_user

from .factories import submit, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(settings):
    settings.NOTIFICATIONS_ROUTES = {"resident": ["sms"], "staff": ["sms"], "department": ["sms"]}
    return world()


def staff_phones(request) -> set[str]:
    """The phones the new request's staff notice went to."""
    return set(
        Notification.objects.filter(request_id=request.pk, template_key="request.submitted")
        .exclude(phone="")
        .values_list("phone", flat=True)
    )


def submit_counting(w) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as captured:
        request = submit(w)
    return request, len(captured)


def test_the_second_request_of_a_grid_reads_no_recipients(w):
    first, cold = submit_counting(w)
    second, warm = submit_counting(w)
    assert warm == cold - 2  # the grid with its leader, and the staff: not read again
    assert staff_phones(first) == staff_phones(second) == {"13900000001", "13900000003"}


def test_a_new_duty_staff_member_is_told_at_once(w):
    submit(w)
    user = staff_user(StaffRole.COMMUNITY_STAFF, unit=w.community)
    PersonFactory(phone="13700000001", political_status=PoliticalStatus.MASSES, user=user)
    assert "13700000001" in staff_phones(submit(w))


def test_a_deactivated_login_or_a_removed_scope_is_no_longer_told(w):
    assert "13900000003" in staff_phones(submit(w))
    w.community_user.is_active = False
    w.community_user.save()
    assert "13900000003" not in staff_phones(submit(w))
    w.community_user.is_active = True
    w.community_user.save()
    assert "13900000003" in staff_phones(submit(w))
    StaffScope.objects.get(user=w.community_user).delete()
    assert "13900000003" not in staff_phones(submit(w))


def test_a_new_grid_leader_and_a_changed_phone_are_used_at_once(w):
    assert "13900000001" in staff_phones(submit(w))
    w.leader.phone = "13911112222"
    w.leader.save()
    assert staff_phones(submit(w)) == {"13911112222", "13900000003"}
    new_leader = PersonFactory(phone="13933334444", political_status=PoliticalStatus.MASSES)
    w.grid.leader = new_leader
    w.grid.save()
    # The new leader is told; the old one still is, as a login with a grid leader's scope.
    assert staff_phones(submit(w)) == {"13933334444", "13911112222", "13900000003"}


def test_a_sign_in_keeps_the_memory(w):
    submit(w)
    w.community_user.last_login = timezone.now()
    w.community_user.save(update_fields=["last_login"])  # what every sign-in does
    _request, count = submit_counting(w)
    _request, again = submit_counting(w)
    assert count == again


def test_changes_without_a_signal_show_once_announced(w, monkeypatch):
    """A sheet import writes rows in bulk and then sends demo_loaded; another process's save
    drops the version in the shared cache, which this process reads again within
    LOCAL_MEMO_RECHECK_SECONDS. Either way a later request reads the staff again."""
    import core.cache

    now = [1000.0]
    monkeypatch.setattr(core.cache, "_clock", lambda: now[0])
    submit(w)
    Person.objects.filter(pk=w.leader.pk).update(phone="13955556666")
    assert "13955556666" not in staff_phones(submit(w))  # from memory: nothing said it changed
    demo_loaded.send(sender=None)
    assert "13955556666" in staff_phones(submit(w))
    Person.objects.filter(pk=w.leader.pk).update(phone="13977778888")
    cache.delete(GRID_STAFF.version_key)
    now[0] += settings.LOCAL_MEMO_RECHECK_SECONDS
    assert "13977778888" in staff_phones(submit(w))
