"""Retention: requests closed long ago lose the resident's data and keep their statistics."""

import pytest
from django.conf import settings
from django.db.models import Count, Sum

from ops.models import AuditAction, AuditEvent
from ops.services import requests_anonymize_expired
from ops.tasks import anonymize_expired_requests
from resident_requests.models import ResidentRequest, Status

from .factories import Place, resident_request, supporter

RETENTION = settings.PERSONAL_DATA_RETENTION_DAYS


def _statistics():
    return list(
        ResidentRequest.objects.values("grid", "category", "status", "rating")
        .annotate(n=Count("id"), supporters=Sum("supporters_count"))
        .order_by("grid", "category", "status", "rating")
    )


@pytest.mark.django_db
def test_requests_closed_past_retention_lose_name_phone_and_address_only():
    place = Place()
    old = resident_request(place, closed_days_ago=RETENTION + 1, rating="satisfied")
    supporter(old, "13900001111")
    recent = resident_request(place, closed_days_ago=RETENTION - 1)
    still_open = resident_request(place, status=Status.TAKEN)
    before = _statistics()

    result = requests_anonymize_expired()

    assert result.requests == 1
    old.refresh_from_db()
    assert (old.submitter_name, old.submitter_phone, old.address) == ("", "", "")
    assert "13812345678" not in old.description
    assert old.lat == 32.123 and old.lng == 119.457
    assert old.supporters.count() == 0 and old.supporters_count == 1
    # The statistics (counts by grid, category, status, rating) are exactly as before.
    assert _statistics() == before
    for untouched in (recent, still_open):
        untouched.refresh_from_db()
        assert untouched.submitter_phone == "13812345678"
        assert untouched.submitter_name == "张三丰"
    event = AuditEvent.objects.get(action=AuditAction.RETENTION_ANONYMIZE)
    assert "requests=1" in event.detail


@pytest.mark.django_db
def test_anonymizing_twice_changes_nothing_more():
    place = Place()
    resident_request(place, closed_days_ago=RETENTION + 30)
    assert requests_anonymize_expired().requests == 1
    assert requests_anonymize_expired().requests == 0
    assert AuditEvent.objects.filter(action=AuditAction.RETENTION_ANONYMIZE).count() == 1


@pytest.mark.django_db
def test_the_beat_task_runs_the_retention(settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 10
    place = Place()
    resident_request(place, closed_days_ago=11)
    assert anonymize_expired_requests.apply().get() == 1
    assert "ops-retention-anonymize" in settings.CELERY_BEAT_SCHEDULE
