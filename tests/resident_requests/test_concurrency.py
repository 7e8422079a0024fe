"""Two staff dispatching the same request at once, on PostgreSQL: exactly one wins.

The interleaving is forced, not hoped for: thread A holds the request's row lock while thread B
starts its dispatch; the test waits until PostgreSQL reports B waiting for that lock, then lets A
dispatch and commit. B then sees the dispatched request and fails with IllegalTransition.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from core.exceptions import IllegalTransition
from resident_requests import services
from resident_requests.models import EventKind, ResidentRequest, Status

from .factories import member, submit
from .factories import world as make_world

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _waiting_for_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return bool(row) and row[0] == "Lock"


def test_concurrent_double_dispatch_exactly_one_wins(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    w = make_world()
    second_member = member(w.grids[0].unit)
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])

    results: dict[str, object] = {}
    a_locked = threading.Event()
    b_started = threading.Event()
    b_pid: list[int] = []
    release_a = threading.Event()

    def leader_a():
        try:
            with transaction.atomic():
                ResidentRequest.objects.select_for_update().get(pk=request.pk)
                a_locked.set()
                release_a.wait(10)
                services.request_dispatch(
                    request=request, actor=w.users["leader"], assignee=w.members[0]
                )
            results["a"] = "ok"
        except Exception as exc:  # noqa: BLE001 - the test reports what happened
            results["a"] = exc
        finally:
            connections.close_all()

    def community_b():
        try:
            a_locked.wait(10)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                b_pid.append(cursor.fetchone()[0])
            b_started.set()
            services.request_dispatch(
                request=request, actor=w.users["community"], assignee=second_member
            )
            results["b"] = "ok"
        except Exception as exc:  # noqa: BLE001
            results["b"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=leader_a), threading.Thread(target=community_b)]
    for thread in threads:
        thread.start()
    assert b_started.wait(10)
    deadline = time.monotonic() + 10
    while not _waiting_for_lock(b_pid[0]):
        assert time.monotonic() < deadline, "B never waited for A's row lock"
        time.sleep(0.02)
    release_a.set()
    for thread in threads:
        thread.join(20)

    assert results["a"] == "ok"
    assert isinstance(results["b"], IllegalTransition), results["b"]
    assert request.code in str(results["b"])
    request.refresh_from_db()
    assert request.status == Status.DISPATCHED and request.assignee == w.members[0]
    assert request.events.filter(kind=EventKind.DISPATCHED).count() == 1
