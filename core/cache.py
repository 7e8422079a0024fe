"""Cache helpers for the pages every resident opens: one Redis client per server and process, and
small reference lists (categories, communities) kept in each process's memory while their version
in the shared cache stays the same.

Django's RedisCacheClient builds a new redis.Redis object for every cache call (each one sets
up some 170 response callbacks); SharedRedisCacheClient builds it once per server and process
and shares it, and its connection pool, between the process's threads (redis-py's client is
thread-safe; its pool re-opens its connections in a forked child).

LocalMemo: a value built from the database (a list of choices, the HTML rendered from them) is
kept in the memory of each process, under a version that lives in the shared cache as a small
integer. Reading it costs one tiny cache read (memo_values() reads the versions of several memos
in one round trip) instead of unpickling the value; changing the data drops the version (now
and again after the commit), and every process builds the value again on its next read. A
process reads the versions it has just read again only after LOCAL_MEMO_RECHECK_SECONDS (a
change made in another process shows here within that time; one made here shows at once), so
that the pages every resident opens do not each wait for that round trip.

pickle (bandit B403, B301): only the cache's own values, written and read by this backend as
Django's cache backends do.
"""

import base64
import pickle  # nosec B403 B301
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCacheClient
from django.db import connections, models, router, transaction
from django.utils import timezone

_clock = time.monotonic  # the memos' clock (tests move it)
_clients: dict[tuple, Any] = {}
_clients_lock = threading.Lock()


class SharedRedisCacheClient(RedisCacheClient):
    """RedisCacheClient with one redis.Redis client (and pool) per server, per process."""

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        identity = (
            self._pool_class,
            self._servers[index],
            tuple(sorted((k, repr(v)) for k, v in self._pool_options.items())),
        )
        client = _clients.get(identity)
        if client is None:
            with _clients_lock:
                client = _clients.get(identity)
                if client is None:
                    client = self._client(connection_pool=self._get_connection_pool(write))
                    _clients[identity] = client
        return client


class LocalMemo:
    """A value built by `build()`, kept in this process and rebuilt when its version in the
    shared cache changes (invalidate()), or when it is older than `max_age` seconds (changes
    that send no signal, e.g. a queryset.update(), show within that time)."""

    def __init__(self, name: str, build: Callable[[], Any], *, max_age: float = 300):
        self.version_key = f"memo:{name}:version"
        self.build = build
        self.max_age = max_age
        # (version, value, built at): replaced whole, so threads never see half of one.
        self._local: tuple[int, Any, float] | None = None

    def value(self) -> Any:
        return memo_values(self)[0]

    def _current(self, version: int | None) -> Any:
        local = self._local
        now = _clock()
        fresh = local is not None and local[0] == version and now - local[2] < self.max_age
        if version is not None and fresh:
            return local[1]
        value = self.build()
        if version is None:
            # No version yet (a first read, or the data changed): start one. If another process
            # was first, keep nothing: the next read takes its version and builds once more.
            version = random.getrandbits(62)  # noqa: S311 - a version tag, not a secret
            if not cache.add(self.version_key, version, timeout=None):
                self._local = None
                return value
        self._local = (version, value, now)
        return value

    def invalidate(self) -> None:
        """The data changed: every process builds the value again. Dropped now (this process
        sees its own change at once) and again after the commit (a read between the two could
        have built it from the data as it was before the change)."""
        self._local = None
        forget_versions()
        cache.delete(self.version_key)
        transaction.on_commit(lambda: (forget_versions(), cache.delete(self.version_key)))


# The versions this process read last, by the keys read together: (read at, versions).
_versions_read: dict[tuple[str, ...], tuple[float, dict]] = {}


def forget_versions() -> None:
    """Read the versions again on the next read (a change here, a cache emptied)."""
    _versions_read.clear()


def memo_values(*memos: LocalMemo) -> list[Any]:
    """The current values of `memos`, their versions read in one round trip, at most once in
    LOCAL_MEMO_RECHECK_SECONDS for the same memos."""
    keys = tuple(memo.version_key for memo in memos)
    now = _clock()
    read = _versions_read.get(keys)
    if read is None or now - read[0] >= settings.LOCAL_MEMO_RECHECK_SECONDS:
        read = (now, cache.get_many(list(keys)))
        if all(key in read[1] for key in keys):  # a version missing is started by _current
            _versions_read[keys] = read
    return [memo._current(read[1].get(memo.version_key)) for memo in memos]


class CountingDatabaseCache(DatabaseCache):
    """Django's database cache whose incr() counts atomically across processes.

    Django's own incr() reads, then writes the sum with a new default expiry: two processes
    counting at once lose a hit, and a rate limit's window moves. Here the row is written first
    (a no-op UPDATE), which takes its lock (PostgreSQL) or the database's write lock (SQLite)
    until the commit, then read and written back with its expiry unchanged."""

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote_name = connection.ops.quote_name
        table, cache_key = quote_name(self._table), quote_name("cache_key")
        value_col, expires = quote_name("value"), quote_name("expires")
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {expires} = {expires} WHERE {cache_key} = %s",  # noqa: S608
                [key],
            )
            cursor.execute(
                f"SELECT {value_col}, {expires} FROM {table} WHERE {cache_key} = %s",  # noqa: S608
                [key],
            )
            row = cursor.fetchone()
            expired = row is not None and self._expired(connection, row[1])
            if row is None or expired:
                raise ValueError(f"Key '{key}' not found")
            # The value this backend wrote itself, read as Django's DatabaseCache reads it.
            value = pickle.loads(base64.b64decode(row[0].encode())) + delta  # noqa: S301  # nosec B301
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {value_col} = %s WHERE {cache_key} = %s",  # noqa: S608
                [encoded, key],
            )
        return value

    @staticmethod
    def _expired(connection, expires) -> bool:
        expression = models.Expression(output_field=models.DateTimeField())
        for converter in connection.ops.get_db_converters(
            expression
        ) + expression.get_db_converters(connection):
            expires = converter(expires, expression, connection)
        return expires < timezone.now().replace(microsecond=0)
