"""One test server for the deploy/ tests: /etc/jingkou/env from deploy/env.example, and the web
unit (gunicorn, after its ExecStartPre migrate and collectstatic) running for the whole session."""

import os
import secrets
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from .support import (
    ENV_EXAMPLE,
    Server,
    free_port,
    read_env_file,
    service_units,
    stop,
    wait_http,
    write_env_file,
)


def _fast_folder() -> str | None:
    # SQLite syncs after each migration: on a tmpfs the 200-odd migrations take a third of the time.
    return "/dev/shm" if os.access("/dev/shm", os.W_OK) else None


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("server")
    data = Path(tempfile.mkdtemp(prefix="jk-deploy-", dir=_fast_folder()))
    server = Server(root=root, env_file=root / "etc-jingkou-env", hostname=f"jkdeploy{os.getpid()}")
    (root / "media").mkdir()
    # The operator's env file: deploy/env.example with this machine's paths, database and Redis.
    env = {key: server.map(value) for key, value in read_env_file(ENV_EXAMPLE).items()}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(40),
        DATABASE_URL=f"sqlite:///{data / 'portal.sqlite3'}",
        GUNICORN_BIND=f"127.0.0.1:{free_port()}",
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="2",
        # The same hashed names and far-future caching as production, without the 20 s of
        # gzip/brotli compression that WhiteNoise's storage adds to collectstatic.
        STATICFILES_BACKEND="django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
    )
    # The test's own Redis (REDIS_URL, as for the `redis` tests), or none: the portal runs alone.
    for key in ("REDIS_URL", "REDIS_CACHE_URL"):
        env.pop(key)
        if os.environ.get(key):
            env[key] = os.environ[key]
    if "REDIS_URL" in env:
        env.setdefault("REDIS_CACHE_URL", env["REDIS_URL"])
    write_env_file(server.env_file, env)
    server.env = env
    server.database = data / "portal.sqlite3"
    yield server
    shutil.rmtree(data, ignore_errors=True)


def units_running(command_word: str):
    return [u for u in service_units() if command_word in (u.one("ExecStart") or "")]


@pytest.fixture(scope="session")
def web(server):
    """The web unit (the one whose ExecStart runs gunicorn), started as systemd would."""
    (unit,) = units_running("/gunicorn ")
    server.run_pre(unit)  # migrate, collectstatic
    # Type=notify: systemd's socket, on which the service says READY=1 once it serves.
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(server.root / "notify.sock"))
    notify.settimeout(30)
    process = server.start(
        unit,
        server.root / f"{unit.name}.log",
        extra_env={"NOTIFY_SOCKET": str(server.root / "notify.sock")},
    )
    base = f"http://{server.env['GUNICORN_BIND']}"
    assert wait_http(f"{base}/healthz", process) == 200
    process.notified = notify.recv(4096).decode() if unit.one("Type") == "notify" else None
    notify.close()
    process.unit = unit
    process.base = base
    yield process
    stop(process, timeout=float(unit.one("TimeoutStopSec") or 30))
