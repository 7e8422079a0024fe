"""Writes to the notification outbox (issue 5 fills this in).

`notify_request_event` is the one hook the request workflow calls, inside the transition's
transaction, after it has written a RequestEvent; it decides who is told what.
"""


def notify_request_event(*, event) -> list:
    """Write the outbox rows that `event` (a resident_requests RequestEvent) calls for."""
    return []
