"""/healthz and /readyz for load balancers; /metrics for Prometheus."""

import pytest
from django.test import Client, override_settings

from ops import health


@pytest.fixture(autouse=True)
def _fresh_celery_answer():
    health._celery_cache.clear()
    yield
    health._celery_cache.clear()


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any database access here would fail the test.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
@override_settings(REDIS_URL="", CELERY_TASK_ALWAYS_EAGER=True)
def test_readyz_is_ready_when_every_configured_dependency_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
@override_settings(REDIS_URL="redis://127.0.0.1:1/0", CELERY_TASK_ALWAYS_EAGER=True)
def test_readyz_says_503_and_names_redis_when_redis_is_down(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == "ok"
    assert checks["redis"].startswith("error:")


@pytest.mark.django_db
def test_readyz_says_503_and_names_the_database_when_it_fails(client, monkeypatch):
    def broken():
        raise OSError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "error: OSError: connection refused"


@pytest.mark.redis
@pytest.mark.django_db
def test_readyz_names_celery_when_no_worker_answers(client, settings):
    # Redis answers, but no worker listens on this broker database (nothing starts one here).
    from django.conf import settings as live

    redis_url = live.REDIS_URL.rsplit("/", 1)[0] + "/15"
    settings.REDIS_URL = redis_url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from celery import Celery

    from jingkou.celery import app

    # A Celery app of its own on that database, made current for the probe: changing the
    # project app's broker_url would leave its connection pool, made here, on database 15 for
    # every later test (the outbox's worker tests then waited for messages sent there).
    probe = Celery("readyz-probe", broker=redis_url, set_as_current=True)
    try:
        response = client.get("/readyz")
    finally:
        app.set_current()
        probe.close()
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["redis"] == "ok"
    assert checks["celery"] == "error: RuntimeError: no worker answered"


@pytest.mark.django_db
def test_metrics_count_responses_by_status_and_the_outbox_depth(client):
    from notifications.models import Notification, NotificationStatus

    for n, status in enumerate(
        [NotificationStatus.PENDING, NotificationStatus.PENDING, NotificationStatus.SENT]
    ):
        Notification.objects.create(
            phone="13800000000",
            channel="sms",
            template_key="test",
            idempotency_key=f"ops-metrics-{n}",
            status=status,
        )
    client.get("/privacy/")
    client.get("/no-such-page/")
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'jingkou_notification_outbox_depth{status="pending"} 2.0' in text
    assert 'jingkou_notification_outbox_depth{status="sent"}' not in text
    assert 'django_http_responses_total_by_status_total{status="404"}' in text
    assert 'django_http_responses_total_by_status_total{status="200"}' in text


@pytest.mark.django_db
def test_metrics_are_refused_outside_the_monitoring_network():
    response = Client(REMOTE_ADDR="203.0.113.5").get("/metrics")
    assert response.status_code == 403
