"""Celery tasks of the outbox: thin wrappers around notifications.services.

All of them run on the "notifications" queue (CELERY_TASK_ROUTES). The sweep is periodic
(settings.CELERY_BEAT_SCHEDULE). The rounds that decide what to send (a request's deadlines,
the morning digest) belong to the apps that own them: resident_requests.tasks.
"""

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


def _send(task, ids: list[int]) -> dict:
    outcomes = services.notifications_send(ids=ids)
    failed = [pk for pk, result in outcomes.items() if result.outcome == "failed"]
    if failed:
        logger.warning("notifications: %s of %s rows failed, retry later", len(failed), len(ids))
        if not task.request.is_eager:
            # In-process (no broker): one attempt now; a failed row waits for the sweeper.
            services.notifications_retry_later(outcomes)
    return outcomes


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    # Enforced by the prefork pool only (the notifications worker runs threads, which ignore
    # them): there a send is bounded by NOTIFICATIONS_HTTP_TIMEOUT, and a batch starts no send
    # after half of NOTIFICATIONS_SENDING_LEASE (services.notifications_send).
    soft_time_limit=150,
    time_limit=180,
    ignore_result=True,
)
def send_notifications(self, ids: list[int]) -> dict:
    """Send a batch of outbox rows (one message per commit, or per chunk of a sweep).

    A row that failed transiently is published again after its backoff (exponential, with
    jitter); it is dead after NOTIFICATIONS_MAX_ATTEMPTS, counted on the row itself. The
    outcome: how many rows were sent, failed, dead, released, skipped.
    """
    outcomes = _send(self, ids)
    counts = {"skipped": len(set(ids)) - len(outcomes)}
    for result in outcomes.values():
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    return counts


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_notification(self, notification_id: int) -> str:
    """One row ("sent", "failed", "dead", "skipped"): messages published before batches, still
    queued at an upgrade, and a convenience for the shell."""
    result = _send(self, [notification_id]).get(notification_id)
    return "skipped" if result is None or result.outcome == "released" else result.outcome


@shared_task(ignore_result=True, soft_time_limit=50, time_limit=60)
def sweep_outbox() -> int:
    return services.outbox_sweep()
