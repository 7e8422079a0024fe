"""What the public map and list are given: which requests (allowed and approved, open or resolved
within 30 days of the time given, by area, category and status) and what each item says (found
by `make mutants` on resident_requests.selectors)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from resident_requests import selectors
from resident_requests.models import ResidentRequest, Status

from .factories import submit

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _public(w, *, building_index=0, **fields):
    request = submit(w, building_index=building_index, public_allowed=True)
    fields.setdefault("public_approved_at", timezone.now())
    ResidentRequest.objects.filter(pk=request.pk).update(**fields)
    request.refresh_from_db()
    return request


def _ids(**filters):
    return [r.pk for r in selectors.problems_public(**filters)]


def test_resolved_and_closed_requests_stay_30_days_after_the_time_given(w):
    now = timezone.now()
    resolved = _public(w, status=Status.RESOLVED, resolved_at=now - 29 * DAY)
    closed = _public(w, status=Status.CLOSED, resolved_at=now - 20 * DAY)
    _public(w, status=Status.RESOLVED, resolved_at=now - 31 * DAY)
    _public(w, status=Status.REJECTED)
    _public(w, status=Status.MERGED)
    open_one = _public(w, status=Status.TAKEN)

    assert set(_ids(now=now)) == {resolved.pk, closed.pk, open_one.pk}
    assert set(_ids(now=now, status="resolved")) == {resolved.pk, closed.pk}
    assert _ids(now=now, status="open") == [open_one.pk]
    # Ten days on, the one resolved 29 days before is gone; without a time, now.
    assert set(_ids(now=now + 10 * DAY)) == {closed.pk, open_one.pk}
    assert set(_ids()) == {resolved.pk, closed.pk, open_one.pk}


def test_only_requests_allowed_by_the_resident_and_approved_by_staff_are_listed(w):
    listed = _public(w)
    _public(w, public_approved_at=None)
    _public(w, public_allowed=False)

    assert _ids() == [listed.pk]


def test_the_list_is_newest_first_and_filters_by_street_community_and_category(w):
    now = timezone.now()
    # The newer one was entered first (a smaller id): the date orders them, not the number.
    newer = _public(w, building_index=1, created_at=now - DAY)
    older = _public(w, building_index=0, created_at=now - 2 * DAY)
    elsewhere = _public(w, building_index=2)  # the second community
    other_kind = _public(w, building_index=0, category=w.other_category)

    assert _ids(community=w.communities[0], category_id=w.category.pk) == [newer.pk, older.pk]
    assert _ids(community=w.communities[1]) == [elsewhere.pk]
    assert set(_ids(street=w.street)) == {older.pk, newer.pk, elsewhere.pk, other_kind.pk}
    assert _ids(category_id=w.other_category.pk) == [other_kind.pk]
    assert len(_ids(category_id=w.category.parent_id)) == 4  # the group: both its categories


def test_an_item_says_category_place_date_status_supporters_and_the_link(w):
    request = _public(
        w,
        status=Status.DISPATCHED,
        supporters_count=4,
        created_at=timezone.now() - 3 * DAY,  # the day it was reported, not today
        description="<b>楼下</b>路灯坏了" + "很久" * 100,
    )
    request = selectors.problems_public().get(pk=request.pk)

    item = selectors.public_problem(request)

    assert item["id"] == request.public_id
    assert item["category"] == f"{w.category.parent.name} › {w.category.name}"
    assert item["place"] == w.buildings[0].address
    assert (item["lat"], item["lng"]) == (w.buildings[0].lat, w.buildings[0].lng)
    assert item["created"] == timezone.localdate(request.created_at).isoformat()
    assert item["status"] == Status.DISPATCHED
    assert item["status_display"] == str(Status.DISPATCHED.label)
    assert item["open"] is True
    assert item["supporters"] == 4
    assert item["text"].startswith("楼下路灯坏了很久")  # tags stripped
    assert len(item["text"]) == selectors.PUBLIC_MAP_EXCERPT_CHARS
    assert item["url"] == reverse("resident_requests:public", args=[selectors.public_ref(request)])
    assert selectors.public_problem(request, with_text=False)["text"] == ""


def test_a_resolved_item_is_not_open_and_a_pin_without_a_building_is_rounded(w):
    request = _public(
        w, status=Status.RESOLVED, resolved_at=timezone.now(), building=None, lat=32.2016, lng=None
    )
    item = selectors.public_problem(selectors.problems_public().get(pk=request.pk))
    assert item["open"] is False
    assert item["place"] == w.grids[0].name
    # Half a pin is not rounded (nor placed).
    assert (item["lat"], item["lng"]) == (32.2016, None)


def test_requests_of_the_same_moment_are_listed_last_entered_first(w):
    moment = timezone.now()
    first, second = _public(w, created_at=moment), _public(w, created_at=moment)

    assert _ids() == [second.pk, first.pk]
