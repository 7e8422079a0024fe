"""Rate limits through the Django cache (Redis when configured): per IP address and per phone.

Counters are fixed windows keyed by a hash, so the cache never holds a phone number in clear.
hit_all() runs all the counters a request needs (and one-time claims, e.g. "this form page was
sent") in one Redis round trip.
"""

import hashlib
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from core import net

# action → (hits allowed, window in seconds). settings.RESIDENT_REQUEST_RATE_LIMITS overrides.
DEFAULT_LIMITS = {
    "submit_ip": (20, 3600),  # form posts from one address per hour
    "submit_phone": (5, 86400),  # new requests per phone per day
    "track_ip": (10, 600),  # tracking look-ups per address per 10 minutes
    # "My requests" by phone: SMS codes sent per address and per phone, codes tried per address.
    "phone_code_ip": (10, 3600),
    "phone_code_phone": (3, 3600),
    "phone_verify_ip": (20, 3600),
    "support_ip": (20, 3600),  # "me too" per address per hour
    "lookup_ip": (300, 600),  # building autocomplete and Open311 reads
    # "me too" look-ups show other people's requests: few per address, fewer per form page.
    "similar_ip": (60, 600),
    "similar_token": (30, 3600),
}


def _limit(action: str) -> tuple[int, int]:
    overrides = getattr(settings, "RESIDENT_REQUEST_RATE_LIMITS", {}) or {}
    return overrides.get(action, DEFAULT_LIMITS[action])


def client_ip(http_request) -> str:
    # Behind nginx (BEHIND_PROXY) every resident would share the proxy's address: core.net reads
    # the proxy's own X-Real-IP header then, and never a client-supplied X-Forwarded-For.
    return net.client_ip(http_request) or "unknown"


def _key(action: str, value: str) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()[:32]
    return f"rr:rate:{action}:{digest}"


def _count_in_redis(backend: RedisCache, key: str, window: int) -> int:
    """One round trip (MULTI: SET key 0 EX window NX; INCR key; EXEC) instead of the three of
    add() then incr() (which asks EXISTS first): the count of attempts in this window so far.
    Atomic, so the counter always has its expiry. Stored like the cache's own integers, so
    exceeded() reads it with cache.get()."""
    full_key = backend.make_and_validate_key(key)

    def count() -> int:
        client = backend._cache.get_client(full_key, write=True)
        with client.pipeline(transaction=True) as pipe:
            pipe.set(full_key, 0, ex=window, nx=True)
            pipe.incr(full_key)
            return pipe.execute()[1]

    # ops.cache.FailSoftRedisCache: while Redis is down, count 1 (let the attempt through)
    # without waiting on it, as its add() and incr() do.
    fail_soft = getattr(backend, "_call", None)
    return fail_soft(1, count) if fail_soft else count()


def hit(action: str, value: str) -> bool:
    """Count one attempt; True when this attempt is over the limit."""
    limit, window = _limit(action)
    key = _key(action, value)
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return _count_in_redis(backend, key, window) > limit
    if cache.add(key, 1, timeout=window):
        return limit < 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        count = 1
    return count > limit


def exceeded(action: str, value: str) -> bool:
    """True when the limit is already used up (without counting an attempt)."""
    limit, _window = _limit(action)
    return (cache.get(_key(action, value)) or 0) >= limit


@dataclass(frozen=True)
class Count:
    """Count one attempt of `action` by `value` (an address, a phone)."""

    action: str
    value: str


@dataclass(frozen=True)
class Claim:
    """Mark `value` used for `seconds`; refused when it already is (a one-time value)."""

    name: str
    value: str
    seconds: int


# hit_all()'s answer when Redis could not be asked: every counter let the attempt through (as
# hit() does then), and whether a claim was new is unknown.
UNSURE = "unsure"

# KEYS: one per step; ARGV: its kind, limit and window, step after step. 0 when every step
# passes, else the number of the first that does not: the steps after it are not run and the
# claims before it are released (nothing was done with them).
_HIT_ALL_SCRIPT = """
local claimed = {}
for i, key in ipairs(KEYS) do
  local kind, limit, window = ARGV[3 * i - 2], tonumber(ARGV[3 * i - 1]), ARGV[3 * i]
  local failed = false
  if kind == "count" then
    redis.call("SET", key, 0, "EX", window, "NX")
    failed = redis.call("INCR", key) > limit
  else
    failed = not redis.call("SET", key, 1, "EX", window, "NX")
    if not failed then table.insert(claimed, key) end
  end
  if failed then
    for _, done in ipairs(claimed) do redis.call("DEL", done) end
    return i
  end
end
return 0
"""
_HIT_ALL_SHA = hashlib.sha1(_HIT_ALL_SCRIPT.encode(), usedforsecurity=False).hexdigest()


def _claim_key(claim: Claim) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{claim.value}".encode()).hexdigest()[:32]
    return f"rr:once:{claim.name}:{digest}"


def hit_all(*steps: Count | Claim) -> str | None:
    """Run `steps` in order: None when all pass, else the first that does not (a Count's
    action over its limit, a Claim's name already used); the steps after it are not run, and
    the claims before it are released. With Redis, in one round trip (a Lua script, atomic);
    UNSURE while Redis is down."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return _hit_all_in_cache(steps)
    keys, args = [], []
    for step in steps:
        if isinstance(step, Count):
            limit, window = _limit(step.action)
            keys.append(backend.make_and_validate_key(_key(step.action, step.value)))
            args += ["count", limit, window]
        else:
            keys.append(backend.make_and_validate_key(_claim_key(step)))
            args += ["claim", 0, step.seconds]

    def run() -> int:
        client = backend._cache.get_client(keys[0], write=True)
        try:
            return int(client.evalsha(_HIT_ALL_SHA, len(keys), *keys, *args))
        except redis.exceptions.NoScriptError:  # the first call since Redis started
            return int(client.eval(_HIT_ALL_SCRIPT, len(keys), *keys, *args))

    fail_soft = getattr(backend, "_call", None)  # ops.cache.FailSoftRedisCache
    failed = fail_soft(None, run) if fail_soft else run()
    if failed is None:
        return UNSURE
    if failed == 0:
        return None
    step = steps[failed - 1]
    return step.action if isinstance(step, Count) else step.name


def _hit_all_in_cache(steps) -> str | None:
    """hit_all() with another cache (local memory: one process, tests)."""
    claimed = []
    for step in steps:
        if isinstance(step, Count):
            failed = step.action if hit(step.action, step.value) else None
        else:
            key = _claim_key(step)
            failed = None if cache.add(key, 1, timeout=step.seconds) else step.name
            if failed is None:
                claimed.append(key)
        if failed is not None:
            cache.delete_many(claimed)
            return failed
    return None
