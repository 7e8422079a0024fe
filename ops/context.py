"""The request being served, for log lines and audit rows written far from the view."""

import contextvars

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
current_request_var: contextvars.ContextVar = contextvars.ContextVar(
    "current_request", default=None
)


def current_request_id() -> str:
    return request_id_var.get()


def current_request():
    return current_request_var.get()
