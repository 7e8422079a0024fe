"""While Redis is down the cache degrades to "no cache": pages and rate limits keep working."""

import pytest
from django.core.cache.backends.base import DEFAULT_TIMEOUT

from ops.cache import FailSoftRedisCache


@pytest.fixture
def dead_cache():
    # Nothing listens on port 1: every call is refused at once.
    cache = FailSoftRedisCache(
        "redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}}
    )
    yield cache
    FailSoftRedisCache._down_until = 0.0


def test_reads_are_misses_and_writes_are_dropped(dead_cache):
    assert dead_cache.get("categories", "fallback") == "fallback"
    assert dead_cache.get_many(["a", "b"]) == {}
    assert dead_cache.set("categories", [1, 2], DEFAULT_TIMEOUT) is None
    assert dead_cache.has_key("categories") is False


def test_a_rate_limit_counter_lets_the_request_through(dead_cache):
    # resident_requests.ratelimit: add() "stored" means first hit; incr() counts one.
    assert dead_cache.add("rr:rate:submit_ip:x", 1, 60) is True
    assert dead_cache.incr("rr:rate:submit_ip:x") == 1


@pytest.mark.redis
def test_with_redis_up_it_is_an_ordinary_cache():
    from django.conf import settings

    cache = FailSoftRedisCache(settings.REDIS_CACHE_URL, {"KEY_PREFIX": "ops-test"})
    cache.set("k", "v", 30)
    assert cache.get("k") == "v"
    assert cache.add("k", "w", 30) is False
    cache.delete("k")
