"""core.cache.CountingDatabaseCache: the cache without Redis (the embedded default)."""

import datetime

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

DATABASE_CACHE = {
    "default": {"BACKEND": "core.cache.CountingDatabaseCache", "LOCATION": "test_counting_cache"}
}


@pytest.fixture
def counting_cache(db):
    with override_settings(CACHES=DATABASE_CACHE):
        call_command("createcachetable", verbosity=0)
        backend = caches["default"]
        yield backend
        backend.close()


def _expires(backend, key):
    full_key = backend.make_and_validate_key(key)
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM test_counting_cache WHERE cache_key = %s", [full_key])
        (value,) = cursor.fetchone()
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)  # SQLite: UTC, naive


def test_incr_counts_and_keeps_the_window_of_a_rate_limit(counting_cache):
    assert counting_cache.add("hits", 1, timeout=3600)
    assert counting_cache.incr("hits") == 2
    assert counting_cache.incr("hits", 5) == 7
    assert counting_cache.get("hits") == 7
    # Django's own incr() would set the sum again with the default timeout (300 s): a 1-hour
    # rate-limit window would end after 5 minutes.
    left = _expires(counting_cache, "hits") - timezone.now()
    assert left > datetime.timedelta(minutes=59)


def test_incr_of_a_missing_or_expired_key_says_so(counting_cache):
    with pytest.raises(ValueError):
        counting_cache.incr("never-set")
    counting_cache.add("old", 1, timeout=3600)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE test_counting_cache SET expires = %s",
            [timezone.now() - datetime.timedelta(seconds=5)],
        )
    with pytest.raises(ValueError):
        counting_cache.incr("old")
