"""The embedded default (no REDIS_URL), as `make run` starts it: a real Celery worker and beat on
a broker folder (CELERY_BROKER_DIR, kombu's filesystem transport) beside the web server, and the
cache in a database table, so that periodic rounds run and rate limits count once for all
processes.

The processes here are real subprocesses on a temporary SQLite database with the demo loaded;
only beat's interval rounds are made seconds long (tests/ops/fast_beat_settings.py). Waits are
bounded polls, never sleeps that a slow machine could outlast.
"""

import datetime
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Beat's first round comes one interval after it starts, then one every interval.
FAST_BEAT_SECONDS = "1"
# Bounds, far above what the rounds need (about a second each): only a broken setup reaches them.
ESCALATION_WAIT_SECONDS = 120


def _utc(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)


def _sqlite_text(at: datetime.datetime) -> str:
    """How Django stores an aware datetime in SQLite: UTC, without the offset."""
    return at.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(" ")


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """The environment of `make run` without Redis, on a fresh database with the demo loaded."""
    folder = tmp_path_factory.mktemp("embedded")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "REDIS_CACHE_URL", "LOCAL_MEMORY_CACHE", "CI"}
    }
    env.update(
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        CELERY_BROKER_DIR=str(folder / "celery"),
        DJANGO_SETTINGS_MODULE="tests.ops.fast_beat_settings",
        FAST_BEAT_SECONDS=FAST_BEAT_SECONDS,
        PYTHONPATH=str(ROOT),
    )
    # `migrate` creates the cache table as well (core/apps.py): make run runs nothing else.
    for command in (["migrate", "--noinput"], ["load_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=600,
        )
    return folder, env


def _start(args, folder, env, name):
    log = open(folder / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), log


def _stop(process, log):
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def test_a_demo_request_escalates_by_itself_when_its_acceptance_deadline_passes(embedded):
    folder, env = embedded
    db = sqlite3.connect(folder / "db.sqlite3", timeout=20)
    now = datetime.datetime.now(datetime.UTC)
    # The demo leaves submitted requests whose acceptance deadline is minutes away.
    soon = db.execute(
        "SELECT id, code, accept_deadline FROM resident_requests_residentrequest "
        "WHERE status = 'submitted' AND level = 'grid' AND NOT overdue "
        "AND accept_deadline > ? AND accept_deadline < ? ORDER BY accept_deadline",
        [_sqlite_text(now), _sqlite_text(now + datetime.timedelta(minutes=10))],
    ).fetchall()
    assert soon, "the demo leaves no request just before its acceptance deadline"
    pk, code, _deadline = soon[0]
    # A test cannot wait minutes: bring that deadline to a few seconds from now.
    with db:
        db.execute(
            "UPDATE resident_requests_residentrequest SET accept_deadline = ? WHERE id = ?",
            [_sqlite_text(now + datetime.timedelta(seconds=3)), pk],
        )
    celery = str(BIN / "celery")
    worker, worker_log = _start(
        [celery, "-A", "jingkou", "worker", "--pool=threads", "--concurrency=2"]
        + ["-Q", "celery,notifications", "-n", "embedded-test@%h", "--loglevel=INFO"],
        folder,
        env,
        "worker",
    )
    beat, beat_log = _start(
        [celery, "-A", "jingkou", "beat", "--loglevel=INFO"], folder, env, "beat"
    )
    try:
        give_up = time.monotonic() + ESCALATION_WAIT_SECONDS
        level = "grid"
        while level == "grid" and time.monotonic() < give_up:
            if worker.poll() is not None or beat.poll() is not None:
                break
            time.sleep(0.5)
            (level,) = db.execute(
                "SELECT level FROM resident_requests_residentrequest WHERE id = ?", [pk]
            ).fetchone()
    finally:
        _stop(beat, beat_log)
        _stop(worker, worker_log)
    logs = (folder / "worker.log").read_text() + (folder / "beat.log").read_text()
    assert level == "community", f"{code} was not escalated by the worker and beat:\n{logs[-3000:]}"
    # The timeline says so: flagged overdue (督办), then escalated by the system (分级响应).
    events = db.execute(
        "SELECT kind, actor_role, to_level FROM resident_requests_requestevent "
        "WHERE request_id = ? ORDER BY id",
        [pk],
    ).fetchall()
    assert [e[0] for e in events[-2:]] == ["overdue", "escalated"], events
    assert events[-1][2] == "community"
    # The round that did it is the periodic task, sent by beat and run by the worker (not in
    # beat's own process, as beat would with tasks running eagerly).
    assert "Sending due task requests-deadlines" in (folder / "beat.log").read_text()
    ran = [
        line
        for line in (folder / "worker.log").read_text().splitlines()
        if "resident_requests.tasks.check_deadlines" in line and "succeeded" in line
    ]
    assert any("'escalated': 1" in line for line in ran), logs[-3000:]


# A child process that counts one wrong tracking look-up per line it reads, as the tracking page
# does, and answers whether it was refused.
_COUNTER = """
import sys
import django
django.setup()
from resident_requests import ratelimit
for line in sys.stdin:
    refused = ratelimit.hit_all(ratelimit.Count("track_ip", line.strip()))
    print("refused" if refused else "ok", flush=True)
"""


def test_rate_limits_count_once_for_all_processes(embedded):
    folder, env = embedded
    env = {**env, "DJANGO_SETTINGS_MODULE": "jingkou.settings"}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _COUNTER],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    answers = []
    try:
        # Attempts alternate between the two processes, as gunicorn's workers share them out.
        for attempt in range(12):
            process = processes[attempt % 2]
            process.stdin.write("203.0.113.7\n")
            process.stdin.flush()
            answers.append(process.stdout.readline().strip())
    finally:
        for process in processes:
            process.stdin.close()
            process.wait(timeout=30)
    limit = 10  # track_ip: 10 look-ups per address per 10 minutes
    assert answers == ["ok"] * limit + ["refused"] * 2
