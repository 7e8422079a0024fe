"""The channels against a real HTTP server on 127.0.0.1 (and Django's locmem e-mail)."""

import socket
import urllib.parse

import pytest
from django.core import mail

from notifications.channels import (
    DingTalkRobotBackend,
    EmailBackend,
    HttpSmsBackend,
    OutgoingMessage,
    PermanentSendError,
    TransientSendError,
    WeComRobotBackend,
)

MESSAGE = OutgoingMessage(
    notification_id=1,
    idempotency_key="event:1|person:2|sms",
    title="新诉求",
    text="新诉求JK-20261125-7KQ3MX2PA，请及时受理。",
    phone="13900000001",
    email="gl@example.org",
    mention_phones=["13900000001"],
)


def test_wecom_robot_posts_the_text_and_mentions_the_recipient(webhook):
    WeComRobotBackend(url=f"{webhook.url}/cgi-bin/webhook/send?key=k").send(MESSAGE)
    (item,) = webhook.received
    assert item["path"] == "/cgi-bin/webhook/send?key=k"
    assert item["json"] == {
        "msgtype": "text",
        "text": {"content": MESSAGE.text, "mentioned_mobile_list": ["13900000001"]},
    }


def test_dingtalk_robot_signs_the_url_when_a_secret_is_set(webhook):
    DingTalkRobotBackend(url=f"{webhook.url}/robot/send?access_token=t", secret="SEC1").send(
        MESSAGE
    )
    (item,) = webhook.received
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(item["path"]).query)
    assert query["access_token"] == ["t"] and query["timestamp"] and query["sign"]
    assert item["json"]["at"] == {"atMobiles": ["13900000001"]}
    assert item["json"]["text"] == {"content": MESSAGE.text}


def test_a_server_error_or_rate_limit_is_transient_a_rejection_is_permanent(webhook):
    robot = WeComRobotBackend(url=webhook.url)
    webhook.script = [(500, {}), (429, {}), (200, {"errcode": 45009, "errmsg": "freq"})]
    for _ in range(3):
        with pytest.raises(TransientSendError):
            robot.send(MESSAGE)
    webhook.script = [(404, {}), (200, {"errcode": 93000, "errmsg": "invalid webhook url"})]
    for _ in range(2):
        with pytest.raises(PermanentSendError):
            robot.send(MESSAGE)
    assert webhook.received == []


def test_a_hanging_server_times_out_as_a_transient_error(settings):
    settings.NOTIFICATIONS_HTTP_TIMEOUT = 0.3
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts, never answers
    try:
        with pytest.raises(TransientSendError):
            WeComRobotBackend(url=f"http://127.0.0.1:{listener.getsockname()[1]}/").send(MESSAGE)
    finally:
        listener.close()


def test_a_closed_port_is_transient():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TransientSendError):
        WeComRobotBackend(url=f"http://127.0.0.1:{port}/").send(MESSAGE)


def test_http_sms_provider_gets_number_text_signature_key_and_our_idempotency_key(webhook):
    HttpSmsBackend(url=f"{webhook.url}/sms", key="secret-key", sign="京口党建").send(MESSAGE)
    (item,) = webhook.received
    assert item["headers"]["Authorization"] == "Bearer secret-key"
    assert item["json"] == {
        "phone": "13900000001",
        "sign": "京口党建",
        "content": MESSAGE.text,
        "out_id": MESSAGE.idempotency_key,
    }


def test_sms_without_a_number_is_permanent(webhook):
    with pytest.raises(PermanentSendError):
        HttpSmsBackend(url=webhook.url, key="k").send(
            OutgoingMessage(notification_id=1, idempotency_key="k", title="t", text="x")
        )


def test_email_goes_through_djangos_backend():
    EmailBackend().send(MESSAGE)
    (sent,) = mail.outbox
    assert sent.to == ["gl@example.org"] and sent.subject == "新诉求" and MESSAGE.text in sent.body


class _KeepAliveServer:
    """HTTP/1.1 server counting connections; `drop_after_reply` closes each connection after
    answering without saying so, as a server whose keep-alive timeout has run out."""

    def __init__(self, drop_after_reply=False):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.connections = 0
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                outer.connections += 1

            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
                if drop_after_reply:
                    self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/robot"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_messages_to_one_robot_reuse_one_connection():
    server = _KeepAliveServer()
    try:
        for _ in range(3):
            WeComRobotBackend(url=server.url).send(MESSAGE)
        assert server.requests == 3 and server.connections == 1
    finally:
        server.close()


def test_a_kept_alive_connection_the_server_closed_is_replaced_not_failed():
    server = _KeepAliveServer(drop_after_reply=True)
    try:
        for _ in range(3):
            WeComRobotBackend(url=server.url).send(MESSAGE)
        assert server.requests == 3 and server.connections == 3
    finally:
        server.close()
