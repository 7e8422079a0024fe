"""A merge counts each person once: the target's "people with this problem" grows by the
phones that did not follow it already, as "me too" counts them (the public page and the "me
too" offer show this number)."""

import pytest

from resident_requests import services

from .factories import submit

pytestmark = pytest.mark.django_db


def test_merging_counts_only_people_who_did_not_follow_the_target_already(w):
    target = submit(w, submitter_phone="13800000001")
    services.request_support(request=target, phone="13700000001")
    duplicate = submit(w, submitter_phone="13800000002")
    # One of the duplicate's followers already follows the target, another is its resident.
    services.request_support(request=duplicate, phone="13700000001")
    services.request_support(request=duplicate, phone="13800000001")
    services.request_support(request=duplicate, phone="13700000009")

    services.request_merge(request=duplicate, into=target, actor=w.users["leader"])

    target.refresh_from_db()
    followers = sorted(target.supporters.values_list("phone", flat=True))
    assert followers == ["13700000001", "13700000009", "13800000002"]
    assert target.supporters_count == len(followers) == 3
