"""Celery tasks of the request workflow: thin wrappers around deadlines.py.

Both are periodic (settings.CELERY_BEAT_SCHEDULE): `check_deadlines` every few minutes,
`send_daily_digests` every morning,
`send_rating_reminders` hourly in the daytime. They write outbox rows; the notifications worker sends them.
"""

from celery import shared_task

from . import deadlines


@shared_task(ignore_result=True, soft_time_limit=240, time_limit=280)
def check_deadlines() -> dict:
    """Reminders, overdue requests (督办), automatic escalation and closing (deadlines.py)."""
    return deadlines.deadlines_check()


@shared_task(ignore_result=True, soft_time_limit=240, time_limit=280)
def send_daily_digests() -> int:
    """Each community secretary's morning digest of open and overdue requests."""
    return deadlines.daily_digests_send()


@shared_task(ignore_result=True, soft_time_limit=240, time_limit=280)
def send_rating_reminders() -> int:
    """One reminder to rate, 48 hours after the resolution, to residents who have not rated."""
    return deadlines.rating_reminders_send()
