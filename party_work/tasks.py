"""Celery tasks of party_work: thin wrappers around party_work.services."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True, soft_time_limit=100, time_limit=120)
def send_reception_reminders() -> int:
    return services.reception_reminders_send()
