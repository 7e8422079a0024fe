"""What the public form and the tracking page cost in SQL queries, pinned so that it cannot
silently grow again, and the same at two sizes of data: no query per category, per open request
nearby, per timeline event or per photo.

The bounds include the notifications a submission writes in its transaction (the outbox rows):
if they must grow, raise the bound here on purpose, with the reason.
"""

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Notification
from resident_requests import ratelimit, services
from resident_requests.forms import MemoizedRender, new_form_token
from resident_requests.models import Category, HandlingLevel, ResidentRequest
from resident_requests.photos import photos_clean
from resident_requests.selectors import CATEGORY_CHOICES
from tests.grids.factories import building

from .factories import at_level, category, submit, upload

pytestmark = pytest.mark.django_db
NEW = reverse("resident_requests:new")

# The form page: the category picker and the community picker ("my building is not in the
# list"), each read once and then kept in the cache.
FORM_GET_COLD = 2
FORM_GET_WARM = 0
# A stored submission: the building (with its grid, leader and units), the request and its first
# timeline event, and the notifications of its grid leader and community, in one transaction.
# (28 before they were counted; 11 before the notifications read all their recipients in one
# query.) In this world no staff member has a phone, so only the resident's receipt is written:
# the notifications are 5 queries here (savepoint, the recipients, the receipt's short link, one
# INSERT … RETURNING of the outbox rows, release; tests/notifications/test_query_counts.py pins
# that). 10 before the receipt: without it this world wrote no outbox row at all, so its short
# link and that INSERT are new. 10 (then pinned as at most 12) before issue 15: the category
# now comes from the picker kept in memory (selectors.category_choices) and the double-submit
# check from the form token's claim in the rate limits' Redis round trip (ratelimit.hit_all).
# Counted inside the test's transaction, where request_submit's transaction is a savepoint too:
# 2 statements more than production's (bench/load_profile.py counts those). 9 since the grid
# with its leader and units and the staff it tells are kept in each process's memory
# (recipients.grid_staff): the building is read alone, the recipients' query is gone. The first
# submission in a grid after its staff changed reads them again: FORM_POST_COLD.
FORM_POST_MAX = 9
FORM_POST_COLD = FORM_POST_MAX + 2
# The answer "is it one of these?" when similar requests are open nearby: the category, the
# building, the double-submit check and the similar requests with their buildings.
FORM_SIMILAR_MAX = 4
# The "me too" look-up request_form.js makes as the resident picks the building and the kind of
# problem: the building (its compiled SELECT) and the open requests nearby with their buildings;
# the kind comes from the form's memoized choices. 3 before: the category was read each time.
SIMILAR_LOOKUP_QUERIES = 2
# The tracking page: the request, its photos, its public timeline (its category comes from the
# form's memoized choices, read once per process and version).
TRACK_QUERIES = 3


def form_data(w, **extra):
    data = {
        "name": "李阿姨",
        "phone": "13912345678",
        "building_text": w.buildings[0].address,
        "building": w.buildings[0].pk,
        "address": "2单元门口",
        "category_group": w.category.parent_id,
        "category": w.category.pk,
        "description": "楼下路灯坏了一个星期，晚上很黑。",
        "consent": "on",
        "website": "",
        "form_token": new_form_token(),
        "confirm_new": "1",
    }
    data.update(extra)
    return data


def more_categories(groups=6, per_group=5):
    for _ in range(groups):
        parent = category().parent
        for _ in range(per_group - 1):
            category(parent=parent)


def more_requests(w, count=30):
    """Open requests in the same building and category (similar ones) and elsewhere."""
    for i in range(count):
        submit(w, building_index=i % 2, submitter_phone=f"139{i:08d}")


def warm(client, w):
    """What a resident finds in a running portal: the form page's pickers and the grid's staff
    already read (a first submission in the grid)."""
    client.get(NEW)
    client.post(NEW, form_data(w, phone="13600000000"))


def queries(client, method, url, data=None):
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
    return response, len(captured)


@pytest.mark.parametrize("size", ["small", "large"])
def test_form_page_queries(client, w, size):
    if size == "large":
        more_categories()
        more_requests(w)
    response, cold = queries(client, "get", NEW)
    assert response.status_code == 200
    assert cold == FORM_GET_COLD
    response, warm = queries(client, "get", NEW)
    assert response.status_code == 200
    assert warm == FORM_GET_WARM
    # Every active second-level category is offered, at either size.
    offered = set(re.findall(r'<option value="(\d+)"', response.content.decode()))
    leaves = Category.objects.filter(active=True, parent__isnull=False)
    assert {str(pk) for pk in leaves.values_list("pk", flat=True)} <= offered


@pytest.mark.parametrize("size", ["small", "large"])
def test_form_submission_queries(client, w, size):
    if size == "large":
        more_categories()
        more_requests(w)
    warm(client, w)
    before = ResidentRequest.objects.count()
    response, count = queries(client, "post", NEW, form_data(w))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ResidentRequest.objects.count() == before + 1
    assert count <= FORM_POST_MAX, f"{count} queries for one submission"


def test_form_submission_queries_do_not_grow_with_the_data(client, w):
    """The same count before and after adding categories and requests (one test, one world)."""
    warm(client, w)
    _response, small = queries(client, "post", NEW, form_data(w))
    more_categories()
    more_requests(w)
    client.get(NEW)
    _response, large = queries(client, "post", NEW, form_data(w, phone="13712345678"))
    assert small == large


def more_buildings(w, count=40):
    for i in range(count):
        building(w.grids[i % len(w.grids)], north=50 + i)


@pytest.mark.parametrize("size", ["few", "many"])
def test_form_submission_costs_the_same_queries_at_any_size(
    client, w, size, django_assert_num_queries
):
    """The exact count, with few or many requests, buildings and categories (issue 15)."""
    if size == "many":
        more_categories(groups=10, per_group=6)
        more_requests(w, count=60)
        more_buildings(w)
    warm(client, w)
    with django_assert_num_queries(FORM_POST_MAX):
        response = client.post(NEW, form_data(w))
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = ResidentRequest.objects.get(submitter_phone="13912345678")
    assert stored.category == w.category and stored.building == w.buildings[0]
    # The outbox rows are written in the same transaction as the request.
    assert stored.pk in set(
        Notification.objects.filter(request_id=stored.pk).values_list("request_id", flat=True)
    )


def test_a_category_changed_by_another_process_shows_on_the_form(client, w, monkeypatch):
    """The picker is kept in each process's memory under a version in the shared cache: a
    change made elsewhere (here a queryset.update(), which sends no signal, then what another
    process's save does: it drops the version) shows on the first page once this process reads
    the versions again, LOCAL_MEMO_RECHECK_SECONDS after it last read them."""
    import core.cache

    now = [1000.0]
    monkeypatch.setattr(core.cache, "_clock", lambda: now[0])
    assert w.category.name in client.get(NEW).content.decode()
    Category.objects.filter(pk=w.category.pk).update(name="另一个进程改的名字")
    assert "另一个进程改的名字" not in client.get(NEW).content.decode()  # from memory
    cache.delete(CATEGORY_CHOICES.version_key)
    now[0] += settings.LOCAL_MEMO_RECHECK_SECONDS / 2
    assert "另一个进程改的名字" not in client.get(NEW).content.decode()  # not read again yet
    now[0] += settings.LOCAL_MEMO_RECHECK_SECONDS / 2
    assert "另一个进程改的名字" in client.get(NEW).content.decode()
    # And a posted choice is checked against the new list.
    Category.objects.filter(pk=w.category.pk).update(active=False)
    cache.delete(CATEGORY_CHOICES.version_key)
    now[0] += settings.LOCAL_MEMO_RECHECK_SECONDS
    response = client.post(NEW, form_data(w))
    assert response.status_code == 200
    assert ResidentRequest.objects.count() == 0


def test_a_category_changed_here_shows_at_once(client, w, monkeypatch):
    """A save in this process drops the version and what this process read of it: the next
    page shows the change without waiting for LOCAL_MEMO_RECHECK_SECONDS."""
    import core.cache

    monkeypatch.setattr(core.cache, "_clock", lambda: 1000.0)  # time stands still
    assert w.category.name in client.get(NEW).content.decode()
    category = Category.objects.get(pk=w.category.pk)
    category.name = "这个进程改的名字"
    category.save()
    assert "这个进程改的名字" in client.get(NEW).content.decode()


@pytest.mark.parametrize("similar", [1, 12])
def test_similar_requests_answer_queries(client, w, similar):
    for i in range(similar):
        submit(w, submitter_phone=f"139{i:08d}")
    client.get(NEW)
    response, count = queries(client, "post", NEW, form_data(w, confirm_new=""))
    assert response.status_code == 200
    assert response.content.decode().count('name="ref"') == min(similar, 5)
    assert count <= FORM_SIMILAR_MAX, f"{count} queries"


@pytest.mark.parametrize("size", ["small", "large"])
def test_similar_lookup_queries(client, w, size):
    """The live "me too" box costs the same queries however many categories there are and
    however many requests are open nearby; it shows at most five of them."""
    similar = 1
    if size == "large":
        more_categories()
        more_requests(w)  # 15 open in this building and category, 15 next door
        similar = 5
    else:
        submit(w)
    client.get(NEW)  # the form page the look-up belongs to reads the categories
    url = reverse("resident_requests:similar_lookup")
    query = {"building": w.buildings[0].pk, "category": w.category.pk, "token": new_form_token()}
    response, count = queries(client, "get", url, query)
    assert response.status_code == 200
    assert len(response.json()["results"]) == similar
    assert count == SIMILAR_LOOKUP_QUERIES
    # A kind of problem the form does not offer (a group, or none): nothing, and no look-up.
    for other in (w.category.parent_id, 0):
        response, count = queries(client, "get", url, {**query, "category": other})
        assert response.json() == {"results": []} and count == 0


@pytest.mark.redis
def test_similar_lookup_counts_both_limits_in_one_round_trip(client, w, settings):
    """With the Redis cache (production): the address's and the form page's counters in one
    script, and the page's limit still refuses once it is used up."""
    from django.core.cache import caches

    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        pytest.skip("the default cache is not Redis (set REDIS_URL)")
    submit(w)
    client.get(NEW)
    settings.RESIDENT_REQUEST_RATE_LIMITS = {"similar_token": (2, 3600)}
    url = reverse("resident_requests:similar_lookup")
    query = {"building": w.buildings[0].pk, "category": w.category.pk, "token": new_form_token()}
    client.get(url, {**query, "token": new_form_token()})  # Redis has the script from now on
    commands = []
    connection_class = backend._cache.get_client(write=True).connection_pool.connection_class
    real = connection_class.send_packed_command

    def send(self, command, *args, **kwargs):
        parts = command if isinstance(command, list) else [command]
        commands.append(b"".join(bytes(part) for part in parts))
        return real(self, command, *args, **kwargs)

    connection_class.send_packed_command = send
    try:
        response = client.get(url, query)
    finally:
        connection_class.send_packed_command = real
    assert response.status_code == 200 and len(response.json()["results"]) == 1
    counters = [c for c in commands if b"rr:rate:" in c]
    assert len(counters) == 1 and b"EVALSHA" in counters[0]
    assert b"similar_ip" in counters[0] and b"similar_token" in counters[0]
    assert client.get(url, query).status_code == 200
    refused = client.get(url, query)
    assert refused.status_code == 429 and refused.json()["results"] == []


@pytest.mark.parametrize("size", ["small", "large"])
def test_tracking_page_queries(client, w, size):
    if size == "small":
        request = submit(w)
    else:
        # A long timeline (accepted, escalated up to the departments) and three photos.
        request = at_level(w, HandlingLevel.DEPARTMENT)
        services._save_photos(
            request, photos_clean([upload(), upload(), upload()]), "submission", existing=0
        )
        assert request.events.count() >= 5
    url = reverse("resident_requests:token", args=[request.access_token])
    response, count = queries(client, "get", url)
    assert response.status_code == 200
    assert count == TRACK_QUERIES + 1  # the first page reads the categories
    response, count = queries(client, "get", url)
    assert response.status_code == 200
    assert count == TRACK_QUERIES
    # A request of a category no longer offered: that category is read with its parent.
    request.category.active = False
    request.category.save()
    response, count = queries(client, "get", url)
    assert response.status_code == 200
    assert str(request.category) in response.content.decode()
    assert count == TRACK_QUERIES + 2  # the categories again (one changed), and that one


def test_category_changes_show_on_the_form_at_once(client, w):
    assert "新的小类" not in client.get(NEW).content.decode()  # the picker is now cached
    new = Category.objects.create(code="new-leaf", name="新的小类", parent=w.category.parent)
    assert "新的小类" in client.get(NEW).content.decode()
    new.active = False
    new.save()
    assert "新的小类" not in client.get(NEW).content.decode()
    w.other_category.delete()
    assert f'value="{w.other_category.pk}"' not in client.get(NEW).content.decode()


def test_memoized_widgets_render_exactly_what_django_renders(client, w, monkeypatch):
    def pages():
        blank = client.get(NEW).content.decode()
        wrong = client.post(
            NEW, form_data(w, name="", phone="123", category="999999", building="")
        ).content.decode()
        # Tokens differ on every page: compare the rest.
        return [re.sub(r'value="[^"]{40,}"', 'value="…"', page) for page in (blank, wrong)]

    monkeypatch.setattr(MemoizedRender, "memoize", False)
    plain = pages()
    monkeypatch.setattr(MemoizedRender, "memoize", True)
    assert pages() == plain
    assert pages() == plain  # from the memo this time
    # What a resident typed is never kept: only empty values and option values are.
    client.post(NEW, form_data(w, name="张秀英", description="短"))
    assert not any("张秀英" in html for html in MemoizedRender._rendered.values())


@pytest.mark.redis
def test_a_submission_costs_two_cache_round_trips(client, w):
    """With the Redis cache (production): the versions of the pickers and of the grids' staff
    in one read, then every rate-limit counter and the form token's claim in one script; one
    redis.Redis client for all of it."""
    from django.core.cache import caches

    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        pytest.skip("the default cache is not Redis (set REDIS_URL)")
    warm(client, w)
    redis_client = backend._cache.get_client(write=True)
    pool = redis_client.connection_pool
    calls = []
    real = pool.get_connection

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    pool.get_connection = counted
    try:
        response = client.post(NEW, form_data(w))
        assert response.status_code == 302
        assert len(calls) == 2
        assert backend._cache.get_client(write=True) is redis_client
        # The same page sent again: the claim says so, and the request is found, not repeated.
        again = client.post(NEW, form_data(w, form_token=response.wsgi_request.POST["form_token"]))
        assert again["Location"] == response["Location"]
        assert ResidentRequest.objects.count() == 2  # warm()'s and this one
    finally:
        del pool.get_connection


@pytest.mark.redis
def test_rate_limit_in_redis_counts_in_one_round_trip_with_an_expiry(settings):
    """With the Redis cache (production), a counted attempt is one round trip, the counter
    expires with its window, and exceeded() reads the same counter."""
    from django.core.cache import caches

    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        pytest.skip("the default cache is not Redis (set REDIS_URL)")
    settings.RESIDENT_REQUEST_RATE_LIMITS = {"submit_phone": (2, 600)}
    client = backend._cache.get_client(write=True)
    calls = []
    real = client.connection_pool.get_connection

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    client.connection_pool.get_connection = counted
    try:
        assert ratelimit.hit("submit_phone", "13912345678") is False
        assert len(calls) == 1
        assert ratelimit.hit("submit_phone", "13912345678") is False
        assert ratelimit.exceeded("submit_phone", "13912345678") is True
        assert ratelimit.hit("submit_phone", "13912345678") is True
    finally:
        del client.connection_pool.get_connection
    key = backend.make_and_validate_key(ratelimit._key("submit_phone", "13912345678"))
    assert 0 < client.ttl(key) <= 600
    assert ratelimit.hit("submit_phone", "13700000000") is False  # another phone, its own count


def test_hit_all_stops_at_the_first_refusal_and_releases_its_claims(settings):
    """The submission's one round trip: the address, the form token, the phone. A page sent
    twice is refused by its claim before the phone is counted; a phone over its limit releases
    the claim made before it (nothing was stored with it). Redis or not."""
    settings.RESIDENT_REQUEST_RATE_LIMITS = {"submit_ip": (3, 600), "submit_phone": (1, 600)}

    def steps(page):
        return (
            ratelimit.Count("submit_ip", "10.9.8.7"),
            ratelimit.Claim("form", page, 600),
            ratelimit.Count("submit_phone", "13912345678"),
        )

    assert ratelimit.hit_all(*steps("page-1")) is None
    assert ratelimit.hit_all(*steps("page-1")) == "form"
    assert ratelimit.hit_all(*steps("page-2")) == "submit_phone"
    assert ratelimit.hit_all(ratelimit.Claim("form", "page-2", 600)) is None  # released
    assert ratelimit.hit_all(ratelimit.Claim("form", "page-1", 600)) == "form"  # kept
    # The fourth attempt from the address (the claim-only calls counted nothing).
    assert ratelimit.hit_all(*steps("page-3")) == "submit_ip"
