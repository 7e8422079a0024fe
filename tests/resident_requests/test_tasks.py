"""The request workflow's periodic tasks: registered under the names the beat schedule uses, and
running the deadline rounds of resident_requests.deadlines."""

import pytest
from django.conf import settings

from jingkou.celery import app


def test_the_deadline_and_digest_tasks_live_in_resident_requests():
    app.loader.import_default_modules()  # autodiscovery, as a worker does at start
    assert "resident_requests.tasks.check_deadlines" in app.tasks
    assert "resident_requests.tasks.send_daily_digests" in app.tasks
    # The outbox keeps only its own generic tasks.
    assert "notifications.tasks.check_deadlines" not in app.tasks
    assert "notifications.tasks.send_daily_digests" not in app.tasks


def test_every_periodic_task_is_a_registered_task():
    app.loader.import_default_modules()
    missing = {
        name: entry["task"]
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"] not in app.tasks
    }
    assert not missing


@pytest.mark.django_db
def test_check_deadlines_runs_every_round():
    from resident_requests.tasks import check_deadlines

    assert check_deadlines.apply().get() == {
        "reminded": 0,
        "overdue": 0,
        "escalated": 0,
        "departments_reminded": 0,
        "closed_unrated": 0,
    }
