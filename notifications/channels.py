"""Delivery channels behind one small interface: `send(message)` delivers or raises.

A channel raises TransientSendError when trying again later may work (a timeout, a 5xx, a rate
limit) and PermanentSendError when it cannot (no address, a rejected number, a bad webhook).
"""

import base64
import hashlib
import hmac
import http.client
import json
import logging
import smtplib
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from core.privacy import mask_phone

from .models import Channel

logger = logging.getLogger(__name__)


class SendError(Exception):
    pass


class TransientSendError(SendError):
    """Worth another attempt later."""


class PermanentSendError(SendError):
    """Another attempt would fail the same way."""


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: int
    idempotency_key: str
    title: str
    text: str
    phone: str = ""
    email: str = ""
    mention_phones: list[str] = field(default_factory=list)


class ChannelBackend:
    def send(self, message: OutgoingMessage) -> None:
        raise NotImplementedError


class _Connections(threading.local):
    """Kept-alive HTTP(S) connections of this worker thread, one per host.

    A robot or SMS gateway gets many messages in a row; reusing the connection saves a TCP (and
    TLS) handshake per message. A connection idle longer than KEEP_IDLE is not reused: servers
    close idle ones, and a POST on a connection the server already closed is not retried here.
    """

    KEEP_IDLE = 10.0

    def __init__(self):
        self.pool: dict[tuple[str, str], tuple[http.client.HTTPConnection, float]] = {}

    def get(self, scheme: str, netloc: str, timeout: float) -> http.client.HTTPConnection:
        key = (scheme, netloc)
        entry = self.pool.pop(key, None)
        if entry and time.monotonic() - entry[1] < self.KEEP_IDLE:
            entry[0].timeout = timeout
            if entry[0].sock is not None:
                entry[0].sock.settimeout(timeout)
            return entry[0]
        if entry:
            entry[0].close()
        return self.new(scheme, netloc, timeout)

    def new(self, scheme: str, netloc: str, timeout: float) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        return cls(netloc, timeout=timeout)

    def put(self, scheme: str, netloc: str, connection: http.client.HTTPConnection) -> None:
        self.pool[(scheme, netloc)] = (connection, time.monotonic())


_connections = _Connections()


def post_json(url: str, payload: dict, *, headers: dict | None = None) -> dict:
    """POST a JSON body with the configured timeout; the decoded JSON answer (or {})."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PermanentSendError(f"not an http(s) URL: {url[:60]}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    timeout = settings.NOTIFICATIONS_HTTP_TIMEOUT
    for fresh in (False, True):
        connection = (
            _connections.get(parts.scheme, parts.netloc, timeout)
            if not fresh
            else _connections.new(parts.scheme, parts.netloc, timeout)
        )
        reused = connection.sock is not None
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            break
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
            # A kept-alive connection the server had closed: once more on a new one.
            connection.close()
            if not reused or fresh:
                raise TransientSendError(f"{parts.netloc}: {exc or type(exc).__name__}") from exc
        except (TimeoutError, ConnectionError, OSError, http.client.HTTPException) as exc:
            connection.close()
            raise TransientSendError(f"{parts.netloc}: {exc or type(exc).__name__}") from exc
    if response.will_close:
        connection.close()
    else:
        _connections.put(parts.scheme, parts.netloc, connection)
    if response.status >= 400:
        reason = f"HTTP {response.status} from {parts.netloc}"
        if response.status >= 500 or response.status in (408, 429):
            raise TransientSendError(reason)
        raise PermanentSendError(reason)
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return {}


# --- SMS ---------------------------------------------------------------------------------------


class ConsoleSmsBackend(ChannelBackend):
    """Writes the message to the log: the default, so nothing leaves a development machine."""

    def send(self, message: OutgoingMessage) -> None:
        if not message.phone:
            raise PermanentSendError("no phone number to send the SMS to")
        logger.info("SMS to %s: %s", mask_phone(message.phone), message.text)


class HttpSmsBackend(ChannelBackend):
    """A provider's HTTP API: POST {phone, sign, content, out_id} with the key as a bearer token.

    `out_id` is the row's idempotency key, so a provider that de-duplicates by it sends a message
    once even if our worker dies between its answer and our commit.
    """

    def __init__(self, url: str | None = None, key: str | None = None, sign: str | None = None):
        self.url = url or settings.SMS_HTTP_URL
        self.key = key if key is not None else settings.SMS_HTTP_KEY
        self.sign = sign if sign is not None else settings.SMS_SIGN_NAME

    def send(self, message: OutgoingMessage) -> None:
        if not message.phone:
            raise PermanentSendError("no phone number to send the SMS to")
        answer = post_json(
            self.url,
            {
                "phone": message.phone,
                "sign": self.sign,
                "content": message.text,
                "out_id": message.idempotency_key,
            },
            headers={"Authorization": f"Bearer {self.key}"} if self.key else {},
        )
        if answer.get("ok") is False or answer.get("code") not in (None, 0, "0", "OK"):
            raise PermanentSendError(f"SMS provider refused: {str(answer)[:200]}")


# --- E-mail ------------------------------------------------------------------------------------


class EmailBackend(ChannelBackend):
    """Django's e-mail backend: SMTP in production, locmem in tests, the log in development."""

    def send(self, message: OutgoingMessage) -> None:
        if not message.email:
            raise PermanentSendError("no e-mail address to send to")
        try:
            send_mail(
                subject=message.title,
                message=message.text,
                from_email=None,
                recipient_list=[message.email],
            )
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentSendError(f"address refused: {exc}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientSendError(f"SMTP: {exc}") from exc


# --- Group robots ------------------------------------------------------------------------------

# Robot error codes that mean "too many messages, try later"; any other non-zero code is final.
WECOM_RETRY_CODES = {45009, -1}
DINGTALK_RETRY_CODES = {130101, 130102, -1}


class WeComRobotBackend(ChannelBackend):
    """企业微信 group robot: a text message to the group, @-mentioning the recipient's mobile."""

    def __init__(self, url: str | None = None):
        self.url = url or settings.WECOM_WEBHOOK_URL

    def send(self, message: OutgoingMessage) -> None:
        if not self.url:
            raise PermanentSendError("WECOM_WEBHOOK_URL is not set")
        answer = post_json(
            self.url,
            {
                "msgtype": "text",
                "text": {"content": message.text, "mentioned_mobile_list": message.mention_phones},
            },
        )
        _check_robot_answer("WeCom", answer, WECOM_RETRY_CODES)


class DingTalkRobotBackend(ChannelBackend):
    """钉钉 group robot, signed (加签) when DINGTALK_SECRET is set."""

    def __init__(self, url: str | None = None, secret: str | None = None):
        self.url = url or settings.DINGTALK_WEBHOOK_URL
        self.secret = secret if secret is not None else settings.DINGTALK_SECRET

    def signed_url(self) -> str:
        if not self.secret:
            return self.url
        timestamp = str(round(time.time() * 1000))
        digest = hmac.new(
            self.secret.encode(), f"{timestamp}\n{self.secret}".encode(), hashlib.sha256
        ).digest()
        sign = urllib.parse.quote_plus(base64.b64encode(digest))
        separator = "&" if "?" in self.url else "?"
        return f"{self.url}{separator}timestamp={timestamp}&sign={sign}"

    def send(self, message: OutgoingMessage) -> None:
        if not self.url:
            raise PermanentSendError("DINGTALK_WEBHOOK_URL is not set")
        answer = post_json(
            self.signed_url(),
            {
                "msgtype": "text",
                "text": {"content": message.text},
                "at": {"atMobiles": message.mention_phones},
            },
        )
        _check_robot_answer("DingTalk", answer, DINGTALK_RETRY_CODES)


def _check_robot_answer(name: str, answer: dict, retry_codes: set[int]) -> None:
    code = answer.get("errcode", 0)
    if code in (0, "0"):
        return
    reason = f"{name} robot answered {code}: {str(answer.get('errmsg', ''))[:160]}"
    if code in retry_codes:
        raise TransientSendError(reason)
    raise PermanentSendError(reason)


def sms_backend() -> ChannelBackend:
    path = getattr(settings, "NOTIFICATIONS_SMS_BACKEND", "")
    if path:
        return import_string(path)()
    return HttpSmsBackend() if settings.SMS_HTTP_URL else ConsoleSmsBackend()


class InboxBackend(ChannelBackend):
    """The in-portal inbox: the row is the message, there is nothing to deliver."""

    def send(self, message: OutgoingMessage) -> None:
        return None


def backend_for(channel: str) -> ChannelBackend:
    if channel == Channel.INBOX:
        return InboxBackend()
    if channel == Channel.SMS:
        return sms_backend()
    if channel == Channel.EMAIL:
        return EmailBackend()
    if channel == Channel.WECOM:
        return WeComRobotBackend()
    if channel == Channel.DINGTALK:
        return DingTalkRobotBackend()
    raise PermanentSendError(f"unknown channel {channel!r}")
