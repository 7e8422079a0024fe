"""Readiness checks for load balancers: the database, Redis and a Celery worker answer."""

import logging
import time

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

# A worker's answer is cached briefly: a probe every few seconds should not put a broadcast on the
# broker each time, and a ping waits up to CELERY_PING_TIMEOUT for replies.
_celery_cache: dict[str, float | str] = {}
CELERY_PING_TIMEOUT = 1.0
CELERY_PING_CACHE_SECONDS = 10.0


def check_database() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_redis() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def check_celery() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "not configured (tasks run in-process)"
    now = time.monotonic()
    if _celery_cache and now - float(_celery_cache["at"]) < CELERY_PING_CACHE_SECONDS:
        status = str(_celery_cache["status"])
        if status != "ok":
            raise RuntimeError(status)
        return status
    # The project's Celery app (jingkou.celery) as Celery knows it: ops does not import the
    # project package above it.
    from celery import current_app

    try:
        replies = current_app.control.ping(timeout=CELERY_PING_TIMEOUT)
        status = "ok" if replies else "no worker answered"
    except Exception as exc:  # the broker is down or refuses: report, do not crash the probe
        status = f"{type(exc).__name__}: {exc}"
    _celery_cache.update(at=now, status=status)
    if status != "ok":
        raise RuntimeError(status)
    return status


CHECKS = {"database": check_database, "redis": check_redis, "celery": check_celery}


def readiness() -> tuple[bool, dict[str, str]]:
    """(all ok, {check: "ok" or what failed})."""
    results: dict[str, str] = {}
    ready = True
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # every failure is a "not ready", never a 500
            ready = False
            results[name] = f"error: {type(exc).__name__}: {exc}"[:300]
            logger.warning("readiness: %s failed: %s", name, exc)
    return ready, results
