"""The outbox with a real Celery worker (a subprocess) on the real Redis and PostgreSQL.

Each test run uses a queue of its own, so messages of other runs sharing the Redis database are
never consumed here. The worker runs the solo pool: the task runs in the process that is killed.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from notifications import services
from notifications.models import Notification, NotificationStatus

from .conftest import WebhookServer
from .factories import submit, world

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
QUEUE = f"notifications-test-{uuid.uuid4().hex[:8]}"
MAX_ATTEMPTS = 3
LEASE = 3


class StallingWebhook(WebhookServer):
    """A webhook server that can hold the next request unanswered (never recording it), to kill
    the worker while it is waiting on the send."""

    def __init__(self):
        super().__init__()
        self.stall_next = False
        self.stalled = threading.Event()
        self.release = threading.Event()
        handler = self.httpd.RequestHandlerClass
        original = handler.do_POST
        server = self

        def do_post(request_handler):
            if server.stall_next:
                server.stall_next = False
                server.stalled.set()
                server.release.wait(30)
                request_handler.close_connection = True
                return  # no answer, nothing recorded: the message never got through
            original(request_handler)

        handler.do_POST = do_post

    def reset(self):
        self.received.clear()
        self.script.clear()
        self.hits = 0
        self.stall_next = False
        self.stalled.clear()
        self.release.clear()


class Worker:
    def __init__(self, env: dict):
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/celery"),
                "-A",
                "jingkou",
                "worker",
                "-P",
                "solo",
                "-Q",
                env["NOTIFICATIONS_QUEUE"],
                "-n",
                f"{env['NOTIFICATIONS_QUEUE']}-{uuid.uuid4().hex[:4]}@localhost",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "ready." in Path(self.log.name).read_text():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"the worker did not start:\n{Path(self.log.name).read_text()}")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        os.unlink(self.log.name)


@pytest.fixture(scope="module")
def webhook_server():
    server = StallingWebhook()
    yield server
    server.release.set()
    server.close()


@pytest.fixture(scope="module")
def worker_env(django_db_setup, webhook_server):
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "CONN_MAX_AGE": "0",
        "REDIS_URL": settings.REDIS_URL,
        "NOTIFICATIONS_QUEUE": QUEUE,
        "WECOM_WEBHOOK_URL": f"{webhook_server.url}/wecom",
        "NOTIFICATIONS_ROUTES": json.dumps({"staff": ["wecom"], "resident": ["sms"]}),
        "NOTIFICATIONS_RETRY_BACKOFF": "1",
        "NOTIFICATIONS_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
        "NOTIFICATIONS_SENDING_LEASE": str(LEASE),
        "NOTIFICATIONS_HTTP_TIMEOUT": "20",
        "PYTHONPATH": str(ROOT),
    }
    return env


@pytest.fixture(scope="module")
def worker_pool(worker_env):
    """The module's worker; a test that kills it leaves a fresh one for the next."""
    holder = {"worker": Worker(worker_env)}
    yield holder
    holder["worker"].stop()


@pytest.fixture
def live(worker_pool, worker_env, webhook_server, settings):
    settings.NOTIFICATIONS_QUEUE = QUEUE
    settings.WECOM_WEBHOOK_URL = worker_env["WECOM_WEBHOOK_URL"]
    settings.NOTIFICATIONS_ROUTES = {"staff": ["wecom"], "resident": ["sms"]}
    settings.NOTIFICATIONS_MAX_ATTEMPTS = MAX_ATTEMPTS
    settings.NOTIFICATIONS_SENDING_LEASE = LEASE
    settings.NOTIFICATIONS_PENDING_GRACE = 0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    webhook_server.reset()
    if worker_pool["worker"].process.poll() is not None:
        worker_pool["worker"] = Worker(worker_env)
    return worker_pool


def wait_until(condition, timeout=20, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {message}")


def overdue_notices(key: str, count: int) -> list[Notification]:
    """`count` pending group-robot notices of an overdue request, written straight to the
    outbox (their idempotency keys start with `key`)."""
    return Notification.objects.bulk_create(
        Notification(
            channel="wecom",
            template_key="request.overdue",
            context={"code": f"{key}-{i}", "category": "垃圾清运", "deadline": "2026-11-25"},
            idempotency_key=f"{key}:{i}",
        )
        for i in range(count)
    )


def status_of(row_id):
    return Notification.objects.values_list("status", flat=True).get(pk=row_id)


def test_a_submission_reaches_the_group_robot_through_the_worker(live, webhook_server):
    w = world()
    request = submit(w)
    (item,) = webhook_server.wait_for(1)
    assert request.code in item["json"]["text"]["content"]
    row = Notification.objects.get(channel="wecom", request_id=request.pk)
    wait_until(lambda: status_of(row.pk) == NotificationStatus.SENT, message="row sent")


@pytest.mark.parametrize("broker", ["closed", "hanging"])
def test_broker_down_at_submit_time_saves_the_request_then_delivers_after_the_sweep(
    live, webhook_server, worker_env, broker
):
    w = world()
    with dead_broker(hanging=broker == "hanging") as port:
        # The submission runs in its own process whose broker is a closed port.
        script = (
            "import time, django; django.setup();"
            "from grids.models import Building; from resident_requests.models import Category;"
            "from resident_requests.services import request_submit;"
            f"b = Building.objects.get(pk={w.building.pk}); c = Category.objects.get(pk={w.category.pk});"
            "t = time.monotonic();"
            "r = request_submit(submitter_name='张三', submitter_phone='13812345678', building=b,"
            " category=c, description='broker down');"
            "print('ELAPSED', time.monotonic() - t, r.pk)"
        )
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={
                **worker_env,
                "REDIS_URL": f"redis://127.0.0.1:{port}/6",
                "DJANGO_SETTINGS_MODULE": "jingkou.settings",
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    elapsed, request_pk = result.stdout.split("ELAPSED")[1].split()
    # Saved, and the dead broker cost the resident about a second at most.
    assert float(elapsed) < 1.5, (
        f"the submission took {float(elapsed):.2f} s with the broker {broker}"
    )
    row = Notification.objects.get(channel="wecom", request_id=int(request_pk))
    time.sleep(1)
    assert status_of(row.pk) == NotificationStatus.PENDING and webhook_server.received == []
    # The broker is back (the test's own settings): the sweeper publishes the rows again, the
    # staff's group message and the resident's receipt.
    assert services.outbox_sweep() == 2
    webhook_server.wait_for(1)
    wait_until(lambda: status_of(row.pk) == NotificationStatus.SENT, message="row sent")


def test_a_worker_killed_while_sending_delivers_exactly_once(live, webhook_server, worker_env):
    webhook_server.stall_next = True
    w = world()
    request = submit(w)
    row = Notification.objects.get(channel="wecom", request_id=request.pk)
    assert webhook_server.stalled.wait(20), "the worker never started sending"
    assert status_of(row.pk) == NotificationStatus.SENDING
    live["worker"].kill()
    webhook_server.release.set()
    live["worker"] = Worker(worker_env)
    time.sleep(LEASE + 0.5)  # the killed worker's lease runs out
    # Its batch: the staff's group message and the resident's receipt, claimed together.
    assert services.outbox_sweep() == 2
    webhook_server.wait_for(1)
    wait_until(lambda: status_of(row.pk) == NotificationStatus.SENT, message="row sent")
    time.sleep(1.5)
    row.refresh_from_db()
    assert len(webhook_server.received) == 1 and row.attempts == 2


def test_a_webhook_answering_500_then_200_is_retried_and_sent_once(live, webhook_server):
    webhook_server.script = [(500, {})]
    w = world()
    request = submit(w)
    webhook_server.wait_for(1)
    row = Notification.objects.get(channel="wecom", request_id=request.pk)
    wait_until(lambda: status_of(row.pk) == NotificationStatus.SENT, message="row sent")
    time.sleep(1)
    row.refresh_from_db()
    assert webhook_server.hits == 2 and len(webhook_server.received) == 1
    assert row.attempts == 2 and "HTTP 500" in row.last_error


def test_a_permanent_failure_is_dead_after_the_attempts_and_shown_in_the_admin(
    live, webhook_server, admin_client
):
    webhook_server.script = [(500, {})] * 10
    w = world()
    request = submit(w)
    row = Notification.objects.get(channel="wecom", request_id=request.pk)
    wait_until(lambda: status_of(row.pk) == NotificationStatus.DEAD, timeout=30, message="dead")
    row.refresh_from_db()
    assert row.attempts == MAX_ATTEMPTS and webhook_server.hits == MAX_ATTEMPTS
    response = admin_client.get(
        reverse("admin:notifications_notification_changelist"), {"status__exact": "dead"}
    )
    assert "HTTP 500" in response.content.decode()
    assert webhook_server.received == []


class dead_broker:  # noqa: N801 (used as a context manager)
    """A port where connections are refused (closed), or accepted and never answered (hanging),
    for as long as the block runs."""

    def __init__(self, hanging: bool):
        self.hanging = hanging

    def __enter__(self):
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        if self.hanging:
            self.sock.listen(16)  # the kernel completes the handshake; nobody ever answers
        return self.sock.getsockname()[1]

    def __exit__(self, *exc):
        self.sock.close()


def test_two_workers_given_the_same_batch_send_each_row_once(webhook_server, settings):
    """Every message delivered twice, to two workers at once (PostgreSQL row locks, no mocks):
    each row is claimed by one of them and reaches the webhook once."""
    settings.WECOM_WEBHOOK_URL = f"{webhook_server.url}/wecom"
    settings.NOTIFICATIONS_HTTP_TIMEOUT = 5
    webhook_server.reset()
    webhook_server.delay = 0.01  # so that the two batches overlap
    rows = overdue_notices(f"twice:{uuid.uuid4().hex[:6]}", 40)
    ids = [row.pk for row in rows]
    results = {}
    start = threading.Barrier(2)

    def worker(name):
        try:
            start.wait()
            results[name] = services.notifications_send(ids=ids)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        webhook_server.delay = 0
    sent = [set(results[name]) for name in ("a", "b")]
    assert sent[0].isdisjoint(sent[1]) and sent[0] | sent[1] == set(ids)
    assert all(r.outcome == "sent" for name in ("a", "b") for r in results[name].values())
    contents = sorted(item["json"]["text"]["content"] for item in webhook_server.received)
    assert len(contents) == 40 and len(set(contents)) == 40
    assert set(Notification.objects.filter(pk__in=ids).values_list("status", "attempts")) == {
        (NotificationStatus.SENT, 1)
    }


def test_a_worker_keeps_its_database_connection_from_task_to_task(
    worker_env, webhook_server, settings
):
    """Three batches, one after another, through a worker of its own (CONN_MAX_AGE 60, as
    deployed): all three are sent over the same PostgreSQL connection, which is still open
    after the last. (Celery closes a worker's connections after every task unless told not to:
    a new PostgreSQL backend per batch of messages.)"""
    queue = f"{QUEUE}-keep"
    app_name = f"jk-keep-{uuid.uuid4().hex[:6]}"  # libpq reads PGAPPNAME: this worker's backends
    env = {**worker_env, "CONN_MAX_AGE": "60", "NOTIFICATIONS_QUEUE": queue, "PGAPPNAME": app_name}
    settings.NOTIFICATIONS_QUEUE = queue
    settings.WECOM_WEBHOOK_URL = worker_env["WECOM_WEBHOOK_URL"]
    settings.NOTIFICATIONS_HTTP_TIMEOUT = 5
    webhook_server.reset()

    def worker_backends() -> list[tuple[int, object]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, backend_start FROM pg_stat_activity WHERE application_name = %s",
                [app_name],
            )
            return sorted(cursor.fetchall())

    worker = Worker(env)
    try:
        seen = []
        for batch in range(3):
            rows = overdue_notices(f"{app_name}:{batch}", 2)
            assert services.notifications_enqueue(ids=[row.pk for row in rows]) == 2
            wait_until(
                lambda rows=rows: all(status_of(r.pk) == NotificationStatus.SENT for r in rows),
                message=f"batch {batch} sent",
            )
            seen.append(worker_backends())
        assert len(seen[0]) == 1, seen
        assert seen[0] == seen[1] == seen[2]
        assert len(webhook_server.received) == 6
    finally:
        worker.stop()
