"""A worker's failed sends come back after their backoff, with full jitter, in one message per
number of attempts (notifications_retry_later, run only with a broker; found by `make mutants`)."""

import pytest

from notifications import services
from notifications.services import SendOutcome


@pytest.fixture
def published(monkeypatch):
    sent = []

    def enqueue(*, ids, countdown=None):
        sent.append((list(ids), countdown))
        return len(ids)

    monkeypatch.setattr(services, "notifications_enqueue", enqueue)
    return sent


def test_failed_rows_come_back_after_their_backoff_grouped_by_attempts(
    published, monkeypatch, settings
):
    settings.NOTIFICATIONS_RETRY_BACKOFF = 10
    settings.NOTIFICATIONS_RETRY_BACKOFF_MAX = 600
    # The jitter is drawn between 0 and the backoff: here, always its top.
    draws = []
    monkeypatch.setattr(
        services.random, "uniform", lambda low, high: draws.append((low, high)) or high
    )
    outcomes = {
        11: SendOutcome("failed", attempts=1),
        12: SendOutcome("sent", attempts=1),
        13: SendOutcome("failed", attempts=3),
        14: SendOutcome("failed", attempts=1),
        15: SendOutcome("dead", attempts=5),
    }

    assert services.notifications_retry_later(outcomes) == 3
    assert published == [([11, 14], 10), ([13], 40)]
    assert draws == [(0, 10), (0, 40)]


def test_nothing_failed_nothing_published(published):
    assert services.notifications_retry_later({1: SendOutcome("sent", attempts=1)}) == 0
    assert published == []


def test_the_jitter_spreads_rows_that_failed_together_over_the_whole_backoff(settings):
    settings.NOTIFICATIONS_RETRY_BACKOFF = 10
    settings.NOTIFICATIONS_RETRY_BACKOFF_MAX = 600
    waits = [services.retry_countdown(3) for _ in range(200)]
    assert all(0 <= w <= 40 for w in waits)
    assert min(waits) < 10 and max(waits) > 30
