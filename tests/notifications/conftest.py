"""Fixtures for the notification tests: a real HTTP server on 127.0.0.1 standing in for the
group robots and the SMS provider, and settings that send staff messages to it."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class WebhookServer:
    """Records every POST; answers from a script of (status, body) pairs, then 200 {errcode 0}."""

    def __init__(self):
        self.received: list[dict] = []  # accepted messages (answered 200)
        self.hits = 0  # every POST, failed ones included
        self.script: list[tuple[int, dict]] = []
        self.delay = 0.0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if server.delay:
                    time.sleep(server.delay)
                with server.lock:
                    server.hits += 1
                    status, answer = server.script.pop(0) if server.script else (200, None)
                    if status == 200 and not (answer or {}).get("errcode"):
                        server.received.append(
                            {
                                "path": self.path,
                                "headers": dict(self.headers),
                                "json": json.loads(body),
                                "at": time.time(),
                            }
                        )
                payload = json.dumps(answer or {"errcode": 0, "errmsg": "ok"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def texts(self) -> list[str]:
        return [
            item["json"].get("text", {}).get("content") or item["json"].get("content")
            for item in self.received
        ]

    def wait_for(self, count: int, timeout: float = 15) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.received) >= count:
                return self.received
            time.sleep(0.02)
        raise AssertionError(f"expected {count} webhook messages, got {len(self.received)}")

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def eager():
    """Tasks run in-process at once, whatever REDIS_URL says (unit tests)."""
    from jingkou.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def webhook():
    server = WebhookServer()
    yield server
    server.close()


@pytest.fixture
def robot_settings(settings, webhook):
    """Staff hear through the WeCom robot (the local server); residents by the log SMS."""
    settings.WECOM_WEBHOOK_URL = f"{webhook.url}/wecom"
    settings.NOTIFICATIONS_ROUTES = {
        "resident": ["sms"],
        "staff": ["wecom"],
        "department": ["wecom", "email"],
        "digest.daily:staff": ["sms"],
    }
    settings.NOTIFICATIONS_HTTP_TIMEOUT = 2
    return settings


@pytest.fixture
def published(monkeypatch):
    """The ids published to the send task, one list per publish (no Celery)."""
    from notifications import services

    sent = []

    def enqueue(*, ids, countdown=None):
        sent.append(list(ids))
        return len(ids)

    monkeypatch.setattr(services, "notifications_enqueue", enqueue)
    return sent


class Stub:
    """A channel answering from a script: None sends, an exception is raised."""

    def __init__(self):
        self.script: list = []
        self.sent: list = []

    delay = 0.0

    def send(self, message):
        if self.delay:
            time.sleep(self.delay)
        answer = self.script.pop(0) if self.script else None
        if answer is not None:
            raise answer
        self.sent.append(message)


@pytest.fixture
def channel(monkeypatch, settings):
    """Every channel replaced by one scripted Stub; short, fixed retry settings."""
    from notifications import services

    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    settings.NOTIFICATIONS_RETRY_BACKOFF = 10
    settings.NOTIFICATIONS_RETRY_BACKOFF_MAX = 600
    settings.NOTIFICATIONS_SENDING_LEASE = 120
    stub = Stub()
    monkeypatch.setattr(services, "backend_for", lambda name: stub)
    return stub
