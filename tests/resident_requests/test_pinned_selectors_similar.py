"""Which open requests the "me too" offer shows: open ones only, touched (updated or with an
event) within 30 days, most supported first and then the newest (found by `make mutants` on
resident_requests.selectors)."""

import datetime

import pytest
from django.utils import timezone

from resident_requests import selectors
from resident_requests.models import RequestEvent, ResidentRequest, Status

from .factories import submit

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _offered(w):
    return [
        r.pk for r in selectors.similar_open_requests(building=w.buildings[0], category=w.category)
    ]


def test_only_open_requests_are_offered(w):
    open_one = submit(w)
    for status in (Status.RESOLVED, Status.CLOSED, Status.REJECTED, Status.MERGED):
        ResidentRequest.objects.filter(pk=submit(w).pk).update(status=status)

    assert _offered(w) == [open_one.pk]


def test_a_request_counts_as_touched_by_a_recent_update_or_a_recent_event(w):
    old = timezone.now() - 40 * DAY
    updated_only, event_only, stale = submit(w), submit(w), submit(w)
    # Updated lately, its events all old.
    RequestEvent.objects.filter(request=updated_only).update(created_at=old)
    # Not updated for 40 days, but an event lately.
    ResidentRequest.objects.filter(pk=event_only.pk).update(updated_at=old)
    # Neither.
    ResidentRequest.objects.filter(pk=stale.pk).update(updated_at=old)
    RequestEvent.objects.filter(request=stale).update(created_at=old)

    assert set(_offered(w)) == {updated_only.pk, event_only.pk}


def test_equally_supported_requests_are_offered_newest_first(w):
    now = timezone.now()
    older, newer = submit(w), submit(w)
    ResidentRequest.objects.filter(pk=newer.pk).update(created_at=now - DAY)
    ResidentRequest.objects.filter(pk=older.pk).update(created_at=now - 2 * DAY)

    assert _offered(w) == [newer.pk, older.pk]


def _plans() -> tuple[int, int]:
    """The generic and custom plans PostgreSQL made so far for this session's look-up."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            ["%resident_requests_requestevent%b.lat BETWEEN%"],
        )
        return cursor.fetchone() or (0, 0)


@pytest.mark.postgres
def test_on_postgresql_the_look_up_is_prepared_and_planned_once_for_any_values(w):
    """The look-up runs as a prepared statement whose one (generic) plan serves every building
    and category (settings: plan_cache_mode), instead of planning at every first post."""
    offered = submit(w)
    before = _plans()
    for _ in range(3):
        assert _offered(w) == [offered.pk]
        selectors.similar_open_requests(building=w.buildings[1], category=w.category)
    generic, custom = _plans()
    assert (generic - before[0], custom - before[1]) == (6, 0)
