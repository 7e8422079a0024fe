"""Periodic tasks of the ops app (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from .services import requests_anonymize_expired


@shared_task(name="ops.anonymize_expired_requests", acks_late=True)
def anonymize_expired_requests() -> int:
    return requests_anonymize_expired().requests
