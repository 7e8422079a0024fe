"""deploy/systemd/: every unit verified by systemd-analyze, and each service's commands run as the
unit says (tests/ops/deploy/support.py: how, and what systemd does that this cannot)."""

import json
import re
import shelve
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from .support import (
    BASE_DIR,
    UNITS_DIR,
    Unit,
    log_tail,
    service_units,
    stop,
    wait_http,
)

CELERY_APP = ["-A", "jingkou"]


def _kind(unit: Unit) -> str:
    argv = (unit.one("ExecStart") or "").split()
    if argv and argv[0].endswith("/gunicorn"):
        return "web"
    if argv and argv[0].endswith("/celery"):
        return "beat" if "beat" in argv else "worker" if "worker" in argv else "celery"
    return argv[0].rsplit("/", 1)[-1] if argv else "none"


@pytest.mark.systemd
def test_units_pass_systemd_analyze_verify(tmp_path):
    mapped = []
    for path in sorted(UNITS_DIR.glob("*.service")) + sorted(UNITS_DIR.glob("*.timer")):
        target = tmp_path / path.name
        # Only the checkout's place is mapped, so that verify finds the executables.
        target.write_text(path.read_text().replace("/srv/jingkou/app", str(BASE_DIR)))
        mapped.append(str(target))
    result = subprocess.run(
        ["systemd-analyze", "verify", *mapped], capture_output=True, text=True, timeout=60
    )
    # Unknown keys, bad values and missing executables are all reported; none may be.
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0 and not output, output


def test_every_service_runs_from_the_checkout_with_the_env_file(server):
    units = service_units()
    kinds = {_kind(unit) for unit in units}
    assert {"web", "worker", "beat"} <= kinds, kinds
    for unit in units:
        assert unit.all("EnvironmentFile") == ["/etc/jingkou/env"], unit.name
        assert unit.one("User") == "jingkou", unit.name
        for line in unit.all("ExecStartPre") + unit.all("ExecStart"):
            server.command(line)  # the executable exists once /srv/jingkou/app is the checkout
        if _kind(unit) in {"web", "worker", "beat"}:
            assert unit.one("WorkingDirectory") == "/srv/jingkou/app", unit.name
    for timer in UNITS_DIR.glob("*.timer"):
        unit_name = Unit.read(timer).one("Unit", "Timer") or timer.stem + ".service"
        assert (UNITS_DIR / unit_name).exists(), f"{timer.name} starts a missing {unit_name}"


def test_web_unit_serves_reloads_on_hup_and_counts_per_worker(server, web):
    with urllib.request.urlopen(f"{web.base}/healthz", timeout=5) as response:  # noqa: S310
        assert json.load(response) == {"status": "ok"}
    # Type=notify: gunicorn told systemd's socket it is ready (else systemd would kill it).
    assert web.unit.one("Type") == "notify" and "READY=1" in web.notified
    # GUNICORN_WORKERS processes under the master.
    children = subprocess.run(
        ["pgrep", "-P", str(web.pid)], capture_output=True, text=True
    ).stdout.split()
    assert len(children) == int(server.env["GUNICORN_WORKERS"])
    # RuntimeDirectory= holds the workers' Prometheus counters (deploy/gunicorn.conf.py).
    assert list((server.root / "run" / "prometheus").glob("*.db"))
    # ExecReload= (kill -s HUP $MAINPID): new workers, the same master, still serving.
    (reload_line,) = web.unit.all("ExecReload")
    subprocess.run(
        server.command(reload_line.replace("$MAINPID", str(web.pid))), check=True, timeout=10
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = subprocess.run(["pgrep", "-P", str(web.pid)], capture_output=True, text=True)
        if len(now.stdout.split()) == len(children) and not set(now.stdout.split()) & set(children):
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"the workers were not replaced after HUP:\n{log_tail(web)}")
    assert wait_http(f"{web.base}/healthz", web) == 200


def _worker_name(server, unit: Unit) -> str:
    match = re.search(r"(?:--hostname[= ]|-n )(\S+)", server.map(unit.one("ExecStart")))
    return (
        match[1].replace("%h", socket.gethostname())
        if match
        else (f"celery@{socket.gethostname()}")
    )


def _ping(server, unit: Unit, name: str) -> dict:
    result = subprocess.run(
        [str(BASE_DIR / ".venv" / "bin" / "celery"), *CELERY_APP, "inspect", "ping"]
        + ["--destination", name, "--timeout", "1", "--json"],
        cwd=server.workdir(unit),
        env=server.environment(unit),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return json.loads(result.stdout) if result.returncode == 0 else {}


@pytest.mark.redis
def test_worker_and_beat_units_start_answer_and_make_the_portal_ready(server, web):
    units = [u for u in service_units() if _kind(u) in {"worker", "beat"}]
    processes = {u.name: server.start(u, server.root / f"{u.name}.log") for u in units}
    schedule_files = []
    try:
        for unit in units:
            process = processes[unit.name]
            if _kind(unit) == "worker":
                name = _worker_name(server, unit)
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    assert process.poll() is None, f"{unit.name} exited:\n{log_tail(process)}"
                    if _ping(server, unit, name).get(name) == {"ok": "pong"}:
                        break
                else:
                    raise AssertionError(
                        f"{unit.name}: {name} never answered:\n{log_tail(process)}"
                    )
            else:
                schedule = Path(
                    re.search(r"--schedule[= ](\S+)", server.map(unit.one("ExecStart")))[1]
                )
                deadline = time.monotonic() + 60
                # Beat logs "beat: Starting..." and then opens its schedule file.
                while time.monotonic() < deadline and not list(
                    schedule.parent.glob(schedule.name + "*")
                ):
                    assert process.poll() is None, f"{unit.name} exited:\n{log_tail(process)}"
                    time.sleep(0.2)
                assert b"beat: Starting" in Path(process.log_path).read_bytes()
                assert list(schedule.parent.glob(schedule.name + "*")), log_tail(process)
                schedule_files.append(schedule)
        # The web unit's /readyz: PostgreSQL or SQLite, Redis, and now a worker answer.
        deadline = time.monotonic() + 20
        while wait_http(f"{web.base}/readyz", web) != 200:
            assert time.monotonic() < deadline, "/readyz never answered 200"
            time.sleep(0.5)
    finally:
        codes = {name: stop(p, timeout=60) for name, p in processes.items()}
    # SIGTERM (the units' KillSignal): a warm shutdown, exit status 0.
    assert all(code == 0 for code in codes.values()), {
        name: (code, log_tail(processes[name])) for name, code in codes.items()
    }
    for schedule in schedule_files:
        # Beat's own file, written by the process this test started.
        with shelve.open(str(schedule), flag="r") as state:  # noqa: S301
            assert set(settings.CELERY_BEAT_SCHEDULE) <= set(state["entries"])


@pytest.mark.postgres
def test_backup_unit_dumps_the_database_into_its_backup_dir(server, db):
    (unit,) = [u for u in service_units() if _kind(u) == "backup.sh"]
    assert unit.one("Type") == "oneshot"
    test_db = connection.settings_dict  # the test database: migrated, so it has rows
    env = {
        "DATABASE_URL": f"postgres://{test_db['USER']}:{test_db['PASSWORD']}@{test_db['HOST']}:"
        f"{test_db['PORT'] or 5432}/{test_db['NAME']}"
    }
    process = server.start(unit, server.root / f"{unit.name}.log", extra_env=env)
    assert process.wait(120) == 0, log_tail(process)
    (dump,) = (server.root / "backups").glob("jingkou-*.dump")
    assert dump.stat().st_mode & 0o777 == 0o600  # personal data: the owner only
    listing = subprocess.run(
        [str(BASE_DIR / "deploy" / "backup.sh"), "verify", str(dump)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert re.search(r"tables with data: [1-9]", listing.stdout), listing.stdout
