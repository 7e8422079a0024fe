"""Publishing the send tasks, pinned where a mutation run of notifications/services.py found no
test holding it: each chunk goes to the notifications queue through one producer with the delay
asked for, a batch size below one still sends, and a broker that fails part-way leaves the rest
to the sweeper and says how many."""

import logging

import pytest

from notifications import services
from notifications.tasks import send_notifications


@pytest.fixture
def published(monkeypatch):
    calls = []
    monkeypatch.setattr(
        send_notifications, "apply_async", lambda args, **kwargs: calls.append((args, kwargs))
    )
    return calls


def test_each_chunk_goes_to_the_notifications_queue_with_one_producer_and_the_delay(
    published, settings
):
    settings.NOTIFICATIONS_BATCH_SIZE = 2
    settings.NOTIFICATIONS_QUEUE = "notify-test"

    assert services.notifications_enqueue(ids=[1, 2, 3, 4, 5], countdown=30) == 5

    assert [args for args, _ in published] == [([1, 2],), ([3, 4],), ([5],)]
    assert {kwargs["queue"] for _, kwargs in published} == {"notify-test"}
    assert {kwargs["countdown"] for _, kwargs in published} == {30}
    producers = {id(kwargs["producer"]) for _, kwargs in published}
    assert len(producers) == 1 and published[0][1]["producer"] is not None


def test_a_batch_size_below_one_sends_a_row_a_message(published, settings):
    settings.NOTIFICATIONS_BATCH_SIZE = 0
    assert services.notifications_enqueue(ids=[1, 2, 3]) == 3
    assert [args for args, _ in published] == [([1],), ([2],), ([3],)]


def test_a_broker_failing_part_way_leaves_the_rest_and_says_how_many(monkeypatch, settings, caplog):
    settings.NOTIFICATIONS_BATCH_SIZE = 2
    sent = []

    def second_fails(args, **kwargs):
        if sent:
            raise ConnectionRefusedError("broker down")
        sent.append(args)

    monkeypatch.setattr(send_notifications, "apply_async", second_fails)
    with caplog.at_level(logging.WARNING, logger="notifications.services"):
        assert services.notifications_enqueue(ids=[1, 2, 3, 4, 5]) == 2

    assert "could not publish 3 of 5 rows (broker down)" in caplog.text


def test_without_a_send_task_publishing_says_the_app_is_not_ready(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setattr(services, "_send_task", None)
    with pytest.raises(ImproperlyConfigured, match="no send task registered"):
        services.notifications_enqueue(ids=[1])
