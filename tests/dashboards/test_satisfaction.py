"""满意率 counts each resolution's own rating: a 不满意 that reopened a request stays counted when
the next resolution is rated 满意 (the latest rating used to overwrite it: the demo showed 100 %).
A call-back (回访) that reached the resident counts when they have not rated."""

import dataclasses
import datetime

import pytest
from django.utils import timezone

from dashboards import selectors
from dashboards.boards import build_dashboard
from dashboards.selectors import RequestFilter
from dashboards.services import summaries_refresh
from resident_requests import services
from resident_requests.models import Rating
from tests.resident_requests.factories import submit
from tests.resident_requests.factories import world as make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_world()


def resolved(w):
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    services.request_resolve(request=request, actor=w.users["leader"], note="已处理。")
    request.refresh_from_db()
    return request


def rerated(w, first, then):
    """Rated `first` (不满意 reopens it), resolved again and rated `then`."""
    request = resolved(w)
    services.request_rate(request=request, rating=first)
    request.refresh_from_db()
    services.request_resolve(request=request, actor=w.users["community"], note="重新处理。")
    request.refresh_from_db()
    services.request_rate(request=request, rating=then)
    return request


def rate(w, source):
    today = timezone.localdate()
    flt = RequestFilter(
        start=today - datetime.timedelta(days=1), end=today + datetime.timedelta(days=1)
    )
    if source == "summary":
        summaries_refresh(full=True)
    unit = w.communities[0].parent  # the street
    board = build_dashboard(
        unit=unit,
        flt=dataclasses.replace(flt, source=source),
        link_for=lambda child: f"/u/{child.pk}",
    )
    return board.handling.satisfaction_rate


@pytest.mark.parametrize("source", ["live", "summary"])
def test_a_dissatisfied_rating_re_rated_satisfied_stays_counted(w, source):
    rerated(w, Rating.DISSATISFIED, Rating.SATISFIED)
    services.request_rate(request=resolved(w), rating=Rating.SATISFIED)
    # Three resolutions rated: 不满意, 满意 (after reopening), 满意.
    assert rate(w, source) == 66.7


@pytest.mark.parametrize("source", ["live", "summary"])
def test_a_reached_call_back_counts_when_the_resident_has_not_rated(w, source):
    heard = resolved(w)
    services.request_callback(
        request=heard, actor=w.users["community"], reached=True, satisfaction=Rating.DISSATISFIED
    )
    missed = resolved(w)
    services.request_callback(request=missed, actor=w.users["community"], reached=False)
    services.request_rate(request=resolved(w), rating=Rating.SATISFIED)
    assert rate(w, source) == 50.0  # the reached 不满意 and the 满意; not the missed call


def test_the_public_summary_counts_the_first_rating_too(w):
    rerated(w, Rating.DISSATISFIED, Rating.SATISFIED)
    assert selectors.public_summary()["satisfaction_rate"] == 50.0


def test_the_rate_is_one_query_however_many_ratings(w, django_assert_num_queries):
    rerated(w, Rating.DISSATISFIED, Rating.SATISFIED)
    flt = RequestFilter(
        start=timezone.localdate() - datetime.timedelta(days=1),
        end=timezone.localdate() + datetime.timedelta(days=1),
        source="live",
    )
    unit = w.communities[0].parent
    with django_assert_num_queries(1):
        small = selectors.handling_by_grid(unit, flt)
    for _ in range(3):
        rerated(w, Rating.DISSATISFIED, Rating.BASICALLY_SATISFIED)
    with django_assert_num_queries(1):
        large = selectors.handling_by_grid(unit, flt)
    (small_row,), (large_row,) = small.values(), large.values()
    assert (small_row["rated"], small_row["satisfied"]) == (2, 1)
    assert (large_row["rated"], large_row["satisfied"]) == (8, 4)
