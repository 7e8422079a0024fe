"""Faults: the portal under a load of submissions while Redis is stopped, while PostgreSQL
restarts, and while a Celery worker is killed with SIGKILL. Prints, for each, the submissions
attempted, answered as stored, stored in the database, and notified.

    .venv/bin/python bench/faults.py            # Redis down 30 s; full batches (about 5 minutes)
    .venv/bin/python bench/faults.py --short    # Redis down 8 s; small batches (CI)
    .venv/bin/python bench/faults.py --only redis|postgres|worker

It never touches the machine's shared services: it runs its OWN redis-server on port 6390 and
its OWN PostgreSQL cluster "faults" on port 5440 (pg_createcluster; created on first use), and
stops and restarts only those. The portal listens on 8109, the fake SMS provider on 8106.
"""

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.load_support import (  # noqa: E402
    LOG_DIR,
    FakeSmsProvider,
    Process,
    Stats,
    django_setup,
    ensure_data,
    next_phone,
    portal_env,
    run_clients,
    start_beat,
    start_gunicorn,
    start_worker,
    submit_form,
)

PG_VERSION = "15"
PG_CLUSTER = "faults"
PG_PORT = 5440
REDIS_PORT = 6390
WEB_PORT = 8109
SMS_PORT = 8106
DATABASE_URL = f"postgres://postgres@127.0.0.1:{PG_PORT}/jingkou_faults"


def run(*argv, check=True):
    return subprocess.run(argv, check=check, capture_output=True, text=True)


def pg_ctl(action: str) -> None:
    fast = ["-m", "fast"] if action in ("stop", "restart") else []
    run("pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, PG_CLUSTER, action, *fast)


def pg_ready() -> bool:
    return (
        run("pg_isready", "-h", "127.0.0.1", "-p", str(PG_PORT), "-q", check=False).returncode == 0
    )


def start_own_postgres() -> None:
    if not Path(f"/etc/postgresql/{PG_VERSION}/{PG_CLUSTER}").is_dir():
        run(
            "pg_createcluster", PG_VERSION, PG_CLUSTER, "-p", str(PG_PORT),
            "--", "--auth-host=trust", "--auth-local=trust",
        )  # fmt: skip
    if not pg_ready():
        pg_ctl("start")
    for _ in range(60):
        if pg_ready():
            break
        time.sleep(0.5)
    exists = run(
        "psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "-tAc",
        "SELECT 1 FROM pg_database WHERE datname='jingkou_faults'",
    ).stdout.strip()  # fmt: skip
    if exists != "1":
        run(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(PG_PORT),
            "-U",
            "postgres",
            "-c",
            "CREATE DATABASE jingkou_faults",
        )


class OwnRedis:
    """A throwaway redis-server on REDIS_PORT, without persistence (a restart loses its queue)."""

    def __init__(self):
        self.process: Process | None = None

    def start(self) -> None:
        self.process = Process(
            f"redis-{REDIS_PORT}",
            [shutil.which("redis-server"), "--port", str(REDIS_PORT), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            dict(os.environ),
        )  # fmt: skip
        for _ in range(50):
            if (
                run("redis-cli", "-p", str(REDIS_PORT), "ping", check=False).stdout.strip()
                == "PONG"
            ):
                return
            time.sleep(0.1)
        raise RuntimeError("the bench's redis-server did not start")

    def stop(self) -> None:
        if self.process:
            self.process.stop(signal.SIGTERM, timeout=10)
            self.process = None


class Submissions:
    """Residents submitting the form in a loop; remembers each attempt's phone and answer."""

    def __init__(self, base: str, place, tag: str):
        self.base, self.place, self.tag = base, place, tag
        self.stats = Stats()
        self.attempts: list[tuple[float, str, bool]] = []  # (time, phone, answered as stored)
        self.stop_event = threading.Event()

    async def one(self, session):
        phone = next_phone()
        token = await submit_form(
            session, self.base, self.stats, self.place, kind=self.tag, phone=phone,
            description=f"[{self.tag}] 楼道灯坏了，请尽快维修。",
        )  # fmt: skip
        self.attempts.append((time.monotonic(), phone, token is not None))
        await asyncio.sleep(0.2)

    def run_for(self, clients: int, seconds: float) -> threading.Thread:
        thread = threading.Thread(
            target=lambda: asyncio.run(run_clients(clients, seconds, self.one)), daemon=True
        )
        thread.start()
        return thread


def outcome(tag: str, attempts, sms: FakeSmsProvider, wait_seconds: float) -> dict:
    """Wait until every notification of this run is delivered (or wait_seconds pass); count."""
    from django.db import connection

    from notifications.models import Notification, NotificationStatus
    from resident_requests.models import EventKind, ResidentRequest

    connection.close()
    phones_ok = {phone for _, phone, ok in attempts if ok}
    phones_failed = {phone for _, phone, ok in attempts if not ok}
    requests = ResidentRequest.objects.filter(description__startswith=f"[{tag}]")
    ids = list(requests.values_list("pk", flat=True))
    notes = Notification.objects.filter(request_id__in=ids, channel="sms")
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if not notes.exclude(status=NotificationStatus.SENT).exists():
            break
        time.sleep(2)
    stored_phones = set(requests.values_list("submitter_phone", flat=True))
    keys = set(notes.values_list("idempotency_key", flat=True))
    received = [key for key in sms.received if key in keys]
    per_request_notified = (
        requests.exclude(pk__in=notes.exclude(status=NotificationStatus.SENT).values("request_id"))
        .filter(pk__in=notes.values("request_id"))
        .count()
    )
    half_stored = (
        requests.exclude(events__kind=EventKind.SUBMITTED).count()
        + requests.exclude(
            pk__in=Notification.objects.filter(request_id__in=ids).values("request_id")
        ).count()
    )
    return {
        "attempted": len(attempts),
        "answered stored": len(phones_ok),
        "answered error": len(phones_failed),
        "stored": len(ids),
        "lost (answered stored, not in db)": len(phones_ok - stored_phones),
        "stored although answered error": len(phones_failed & stored_phones),
        "half-stored (no timeline event or no outbox row)": half_stored,
        "notified (all SMS of the request sent)": per_request_notified,
        "SMS rows": len(keys),
        "SMS sent to phones (once each)": len(set(received)),
        "calls repeated to the provider (same out_id, de-duplicated there)": len(received)
        - len(set(received)),
        "not delivered yet": notes.exclude(status=NotificationStatus.SENT).count(),
    }


def report(title: str, figures: dict, stats: Stats) -> None:
    figures["answered with the clear error page"] = stats.clear_error_pages
    print(f"\n== {title}")
    for key, value in figures.items():
        print(f"  {key:<50} {value}")
    for sample in stats.error_samples[:3]:
        print(f"  error sample: {sample}")


class Supervised:
    """A worker or beat started again when it exits on its own, after 2 s, as the systemd units
    (Restart=on-failure, RestartSec=2) and the compose file (restart: unless-stopped) do. Celery's
    Redis transport can die with "Unrecoverable error" when the broker goes away while a task is
    being acknowledged (seen here: "AttributeError: 'NoneType' object has no attribute
    'hostname'" in kombu's Redis transport): in production the service manager restarts it, and
    the outbox rows wait for it. The restarts are counted and printed."""

    def __init__(self, start, env: dict, name: str):
        self._start, self._env, self._name = start, env, name
        self.process = start(env, name)
        self.restarts = 0
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        while not self._stopping.wait(0.5):
            if self.process.popen.poll() is not None:
                self.process.log.close()
                if self._stopping.wait(2):
                    return
                print(f"  {self._name} exited ({self.process.popen.returncode}); restarted")
                self.process = self._start(self._env, self._name)
                self.restarts += 1

    def stop(self) -> None:
        self._stopping.set()
        self._watcher.join()
        self.process.stop()


def scenario_redis(env, base, place, sms, outage: float, clients: int, redis: OwnRedis) -> dict:
    worker = Supervised(start_worker, env, "faults-worker-redis")
    beat = Supervised(start_beat, env, "faults-beat-redis")
    try:
        time.sleep(3)
        subs = Submissions(base, place, f"redis-{int(time.time())}")
        thread = subs.run_for(clients, 5 + outage + 10)
        time.sleep(5)
        redis.stop()
        print(f"  redis stopped for {outage:.0f} s", flush=True)
        time.sleep(outage)
        redis.start()
        print("  redis back", flush=True)
        thread.join()
        figures = outcome(subs.tag, subs.attempts, sms, wait_seconds=120)
        figures["worker / beat restarted by the supervisor"] = (
            f"{worker.restarts} / {beat.restarts}"
        )
        report(f"Redis stopped {outage:.0f} s during submissions", figures, subs.stats)
        return figures
    finally:
        beat.stop()
        worker.stop()


def scenario_postgres(env, base, place, sms, clients: int) -> dict:
    worker = Supervised(start_worker, env, "faults-worker-pg")
    beat = Supervised(start_beat, env, "faults-beat-pg")
    try:
        time.sleep(3)
        subs = Submissions(base, place, f"pg-{int(time.time())}")
        thread = subs.run_for(clients, 20)
        time.sleep(5)
        restart_at = time.monotonic()
        pg_ctl("restart")
        back_at = time.monotonic()
        print(f"  postgres restarted in {back_at - restart_at:.1f} s", flush=True)
        thread.join()
        after = [ok for at, _, ok in subs.attempts if at > back_at + 2]
        figures = outcome(subs.tag, subs.attempts, sms, wait_seconds=120)
        figures["after the restart: stored / attempted"] = f"{sum(after)} / {len(after)}"
        figures["worker / beat restarted by the supervisor"] = (
            f"{worker.restarts} / {beat.restarts}"
        )
        report("PostgreSQL restarted during submissions", figures, subs.stats)
        return figures
    finally:
        beat.stop()
        worker.stop()


def scenario_worker(env, base, place, sms, batch: int) -> dict:
    from django.db import connection

    from notifications.models import Notification, NotificationStatus
    from resident_requests.models import ResidentRequest

    beat = start_beat(env, "faults-beat-worker")
    worker = start_worker(env, "faults-worker-a", concurrency=4)
    try:
        time.sleep(3)
        subs = Submissions(base, place, f"kill-{int(time.time())}")
        subs.run_for(10, batch / 10 * 0.5).join()  # a burst of about `batch` submissions
        connection.close()
        batch_ids = ResidentRequest.objects.filter(description__startswith=f"[{subs.tag}]").values(
            "pk"
        )
        rows = Notification.objects.filter(channel="sms", request_id__in=batch_ids)
        # Kill mid-batch: once some, not all, of the batch's messages are out.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            sent = rows.filter(status=NotificationStatus.SENT).count()
            if sent >= max(1, rows.count() // 4):
                break
            time.sleep(0.2)
        sent_at_kill = rows.filter(status=NotificationStatus.SENT).count()
        worker.signal_group(signal.SIGKILL)
        worker.popen.wait(10)
        worker.log.close()
        print(
            f"  worker killed (SIGKILL) with {sent_at_kill} of {rows.count()} messages sent",
            flush=True,
        )
        worker = start_worker(env, "faults-worker-b", concurrency=4)
        figures = outcome(subs.tag, subs.attempts, sms, wait_seconds=150)
        figures["sent when the worker was killed"] = sent_at_kill
        report("Celery worker killed with SIGKILL mid-batch", figures, subs.stats)
        return figures
    finally:
        beat.stop()
        worker.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true")
    parser.add_argument("--only", choices=["redis", "postgres", "worker"])
    args = parser.parse_args()
    outage = 8.0 if args.short else 30.0
    clients = 4 if args.short else 10
    batch = 30 if args.short else 120
    started = time.monotonic()
    LOG_DIR.mkdir(parents=True, exist_ok=True)

    start_own_postgres()
    redis = OwnRedis()
    redis.start()
    sms = FakeSmsProvider(SMS_PORT, delay=0.05)
    env = portal_env(
        database_url=DATABASE_URL,
        redis_url=f"redis://127.0.0.1:{REDIS_PORT}/0",
        redis_cache_url=f"redis://127.0.0.1:{REDIS_PORT}/1",
        port=WEB_PORT,
        sms_url=sms.url,
    )
    django_setup(env)
    place = ensure_data()
    from django.db import connection

    connection.close()
    web = start_gunicorn(env, WEB_PORT)
    base = f"http://127.0.0.1:{WEB_PORT}"
    results = {}
    try:
        if args.only in (None, "redis"):
            results["redis"] = scenario_redis(env, base, place, sms, outage, clients, redis)
        if args.only in (None, "postgres"):
            results["postgres"] = scenario_postgres(env, base, place, sms, clients)
        if args.only in (None, "worker"):
            results["worker"] = scenario_worker(env, base, place, sms, batch)
    finally:
        web.stop()
        sms.stop()
        redis.stop()
        pg_ctl("stop")
    print(f"\n{time.monotonic() - started:.0f} s in all")
    failed = [
        name
        for name, figures in results.items()
        if figures["lost (answered stored, not in db)"]
        or figures["stored although answered error"]
        or figures["half-stored (no timeline event or no outbox row)"]
        or figures["not delivered yet"]
        or figures["SMS sent to phones (once each)"] != figures["SMS rows"]
        or figures["answered error"] != figures.get("answered with the clear error page", 0)
    ]
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
