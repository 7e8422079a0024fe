"""jingkou.broker: Celery's Redis transport publishing with one Redis client per channel, and
every message still delivered, also after the connection pool was replaced."""

import pytest
import redis
from django.conf import settings
from kombu import Connection, Exchange, Producer, Queue

from jingkou.celery import app

pytestmark = pytest.mark.redis


@pytest.fixture
def broker():
    url = settings.REDIS_URL.rsplit("/", 1)[0] + "/14"
    redis.Redis.from_url(url).flushdb()
    with Connection(url, transport="jingkou.broker:Transport") as connection:
        yield connection
    redis.Redis.from_url(url).flushdb()


@pytest.fixture
def clients_built(monkeypatch):
    built = []
    real_init = redis.Redis.__init__

    def init(self, *args, **kwargs):
        built.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", init)
    return built


def _publish(connection, channel, n):
    queue = Queue("broker-test", Exchange("broker-test"), routing_key="broker-test")
    producer = Producer(channel, exchange=queue.exchange, routing_key="broker-test")
    producer.declare()
    queue(channel).declare()
    for i in range(n):
        producer.publish({"n": i}, declare=[queue])


def test_messages_are_published_with_one_client_and_all_delivered(broker, clients_built):
    channel = broker.channel()
    clients_built.clear()  # the channel's own client, for consuming, is built with it
    _publish(broker, channel, 5)
    assert len(clients_built) == 1  # kombu's own channel builds one per message: 5

    received = []
    queue = Queue("broker-test", Exchange("broker-test"), routing_key="broker-test")
    while (message := queue(broker.channel()).get(no_ack=True)) is not None:
        received.append(message.payload["n"])
    assert received == [0, 1, 2, 3, 4]


def test_a_replaced_pool_gets_a_new_client(broker, clients_built):
    channel = broker.channel()
    clients_built.clear()
    _publish(broker, channel, 2)
    first = channel._create_client()
    channel._pool = None  # as kombu does after a lost connection (_disconnect_pools)
    _publish(broker, channel, 1)
    second = channel._create_client()
    assert second is not first and second.connection_pool is channel.pool
    assert len(clients_built) == 2
    queue = Queue("broker-test", Exchange("broker-test"), routing_key="broker-test")
    assert queue(broker.channel()).queue_declare(passive=True).message_count == 3


def test_the_portal_publishes_through_it_on_redis():
    assert settings.CELERY_BROKER_TRANSPORT == "jingkou.broker:Transport"
    with app.connection_for_write() as connection:
        assert type(connection.default_channel).__module__ == "jingkou.broker"
