"""Retention, pinned where a mutation run of resident_requests/services.py (_anonymize_rows,
requests_anonymize) and ops/services.py found no test holding it: what an anonymized request
keeps of its texts, which photos go (files included), the counts over several batches, which
finished requests count as finished, and the round's own clock."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from notifications.models import Channel, Notification, NotificationStatus
from ops.models import AuditAction, AuditEvent
from ops.services import requests_anonymize_expired, resident_data_erase
from resident_requests import services as request_services
from resident_requests.models import PhotoStage, RequestPhoto, ResidentRequest, Status
from tests.resident_requests.factories import upload

from .factories import Place, resident_request, supporter

pytestmark = pytest.mark.django_db

RETENTION = settings.PERSONAL_DATA_RETENTION_DAYS


def _photo(request, stage):
    return RequestPhoto.objects.create(request=request, stage=stage, image=upload())


def test_the_texts_keep_their_words_and_lose_only_the_phone_numbers():
    old = resident_request(
        Place(),
        closed_days_ago=RETENTION + 1,
        description="3幢楼道灯坏了一个月，联系我13812345678",
        rating="satisfied",
        rating_comment="很快修好了，有事打13900001111",
    )

    requests_anonymize_expired()

    old.refresh_from_db()
    assert "3幢楼道灯坏了一个月" in old.description
    assert "13812345678" not in old.description
    assert "很快修好了" in old.rating_comment
    assert "13900001111" not in old.rating_comment


def test_the_resident_s_photos_go_with_their_files_and_the_resolution_s_stay(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    place = Place()
    old = resident_request(place, closed_days_ago=RETENTION + 1)
    recent = resident_request(place, closed_days_ago=RETENTION - 1)
    submitted = _photo(old, PhotoStage.SUBMISSION)
    resolved = _photo(old, PhotoStage.RESOLUTION)
    others = _photo(recent, PhotoStage.SUBMISSION)
    submitted_file = tmp_path / submitted.image.name
    assert submitted_file.exists()

    with django_capture_on_commit_callbacks(execute=True):
        result = requests_anonymize_expired()

    assert result.photos == 1
    assert set(RequestPhoto.objects.values_list("pk", flat=True)) == {resolved.pk, others.pk}
    assert not submitted_file.exists()
    assert (tmp_path / resolved.image.name).exists()
    assert (tmp_path / others.image.name).exists()


def test_the_counts_add_up_over_every_batch(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(request_services, "ANONYMIZE_BATCH", 1)
    place = Place()
    for n in range(3):
        old = resident_request(place, phone=f"1381234000{n}", closed_days_ago=RETENTION + 1 + n)
        supporter(old, f"1390000111{n}")
        _photo(old, PhotoStage.SUBMISSION)
        Notification.objects.create(
            request_id=old.pk,
            phone=old.submitter_phone,
            channel=Channel.SMS,
            template_key="request.resolved",
            context={"code": old.code},
            status=NotificationStatus.SENT,
            idempotency_key=f"sent-{n}",
        )

    result = requests_anonymize_expired()

    assert (result.requests, result.supporters, result.photos, result.notifications) == (3, 3, 3, 3)
    assert not ResidentRequest.objects.exclude(submitter_phone="").exists()
    event = AuditEvent.objects.get(action=AuditAction.RETENTION_ANONYMIZE)
    assert event.detail.startswith("requests=3 supporters=3 photos=3 notifications=3 ")


def test_a_request_finished_without_a_closing_time_counts_from_its_last_change():
    """Rejected and merged requests have no closed_at: their last change is when they ended."""
    place = Place()
    rejected = resident_request(place, status=Status.REJECTED)
    lately = resident_request(place, status=Status.REJECTED)
    ResidentRequest.objects.filter(pk=rejected.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=RETENTION + 1)
    )

    assert requests_anonymize_expired().requests == 1

    rejected.refresh_from_db()
    lately.refresh_from_db()
    assert (rejected.submitter_phone, lately.submitter_phone) == ("", "13812345678")


def test_the_round_reckons_from_the_time_it_is_given():
    """A round run for a later moment (a catch-up, a test of next week's round) anonymizes what
    will be past retention then, and purges the phone codes older than a day by then."""
    place = Place()
    soon = resident_request(place, closed_days_ago=RETENTION - 2)
    request_services.phone_verification_start(phone="13812345678")
    later = timezone.now() + datetime.timedelta(days=3)

    result = requests_anonymize_expired(now=later)

    assert (result.requests, result.phone_codes) == (1, 1)
    soon.refresh_from_db()
    assert soon.submitter_phone == ""
    cutoff = AuditEvent.objects.get(action=AuditAction.RETENTION_ANONYMIZE).detail
    expected = (later - datetime.timedelta(days=RETENTION)).isoformat()
    assert cutoff.endswith(f"cutoff={expected}")


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"before": timezone.now(), "phone": "13812345678"}],
    ids=["neither", "both"],
)
def test_anonymizing_takes_either_a_time_or_a_phone(kwargs):
    with pytest.raises(TypeError, match=r"^requests_anonymize takes either before or phone$"):
        request_services.requests_anonymize(**kwargs)


def test_erasing_without_a_phone_says_so_in_chinese_and_changes_nothing():
    resident_request(Place(), closed_days_ago=1)
    from core.exceptions import ApplicationError

    with pytest.raises(ApplicationError) as error:
        resident_data_erase(phone="  ")
    assert str(error.value) == "请提供居民的手机号码。"
    assert ResidentRequest.objects.filter(submitter_phone="13812345678").count() == 1
