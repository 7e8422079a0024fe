"""Celery's Redis transport, with one Redis client per channel for publishing.

kombu's Redis channel builds a new `redis.Redis` client for every message it publishes
(`Channel.conn_or_acquire` → `_create_client`), on the same connection pool each time; building
one registers some 170 response callbacks, about a third of the CPU a new request's publish
costs the web worker (bench/load_profile.py). A client holds no connection of its own (it
borrows one from the pool per command) and is safe to share, so this channel keeps the one it
built for as long as its pool lives: a pool replaced after a lost connection gets a new client.

Used when the broker is Redis (settings.CELERY_BROKER_TRANSPORT); tests/ops/test_broker.py.
"""

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _publish_client = None
    _publish_client_pool = None

    def _create_client(self, asynchronous=False):
        if asynchronous:
            return super()._create_client(asynchronous=True)
        pool = self.pool
        if self._publish_client is None or self._publish_client_pool is not pool:
            self._publish_client = super()._create_client()
            self._publish_client_pool = pool
        return self._publish_client


class Transport(kombu_redis.Transport):
    Channel = Channel
