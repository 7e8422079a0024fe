"""Celery tasks of the outbox: thin wrappers around notifications.services.

All of them run on the "notifications" queue (CELERY_TASK_ROUTES). The periodic ones are declared
in settings.CELERY_BEAT_SCHEDULE.
"""

import logging

from celery import shared_task
from django.conf import settings

from . import services
from .channels import TransientSendError

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(TransientSendError,),
    retry_backoff=settings.NOTIFICATIONS_RETRY_BACKOFF,
    retry_backoff_max=settings.NOTIFICATIONS_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    # The row counts attempts and turns dead at NOTIFICATIONS_MAX_ATTEMPTS; this only bounds
    # Celery's own retries in case a row is re-enqueued meanwhile.
    max_retries=settings.NOTIFICATIONS_MAX_ATTEMPTS,
    soft_time_limit=20,
    time_limit=30,
    ignore_result=True,
)
def send_notification(self, notification_id: int) -> str:
    if self.request.is_eager:
        # In-process (no broker): one attempt now; a failed row waits for the sweeper.
        try:
            return services.notification_send(notification_id=notification_id)
        except TransientSendError as exc:
            logger.warning("notifications: row %s failed: %s", notification_id, exc)
            return "failed"
    return services.notification_send(notification_id=notification_id)


@shared_task(ignore_result=True, soft_time_limit=50, time_limit=60)
def sweep_outbox() -> int:
    return services.outbox_sweep()


@shared_task(ignore_result=True, soft_time_limit=240, time_limit=280)
def check_deadlines() -> dict:
    return services.deadlines_check()


@shared_task(ignore_result=True, soft_time_limit=240, time_limit=280)
def send_daily_digests() -> int:
    return services.daily_digests_send()
