"""Celery tasks of the dashboards app: keeping the request summaries current."""

from celery import shared_task

from .services import summaries_refresh


@shared_task(
    acks_late=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
    time_limit=600,
    soft_time_limit=540,
)
def refresh_summaries() -> int:
    """Every few minutes: recompute the days whose requests changed (idempotent)."""
    return summaries_refresh()


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700)
def rebuild_summaries() -> int:
    """Nightly: rebuild everything, as a safety net for changes made outside the services."""
    return summaries_refresh(full=True)
