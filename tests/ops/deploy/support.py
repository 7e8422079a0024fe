"""Running deploy/'s files on this machine, as a server would, with paths mapped to a temp folder.

systemd is not PID 1 here (nor in CI), so the units cannot be started with systemctl: instead each
unit file is read as systemd reads it (ExecStartPre/ExecStart with their line continuations,
Environment=, EnvironmentFile=, WorkingDirectory=, %-specifiers) and its commands run as
subprocesses, with the server's paths mapped (SERVER_PATHS → the checkout and a temp folder).
Type=notify is (a socket in NOTIFY_SOCKET receives gunicorn's READY=1). What is NOT exercised:
User=/Group= (the commands run as the test's user), the sandboxing (ProtectSystem=, PrivateTmp=,
NoNewPrivileges=, ReadWritePaths=), Restart=, the ordering (After=/Wants=), the timer's calendar.
"""

import os
import re
import shlex
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
DEPLOY = BASE_DIR / "deploy"
UNITS_DIR = DEPLOY / "systemd"
ENV_EXAMPLE = DEPLOY / "env.example"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_env_file(path: Path) -> dict[str, str]:
    """systemd's EnvironmentFile= syntax: KEY=VALUE lines, # comments, optional quotes."""
    values = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key.strip()), f"{path}: {raw!r}"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def write_env_file(path: Path, values: dict[str, str]) -> None:
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))


@dataclass
class Unit:
    path: Path
    sections: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> "Unit":
        unit = cls(path)
        section = None
        logical = ""
        for raw in path.read_text().splitlines():
            if not logical and raw.lstrip().startswith(("#", ";")):
                continue
            if raw.endswith("\\"):
                logical += raw[:-1] + " "
                continue
            line = (logical + raw).strip()
            logical = ""
            if not line:
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                unit.sections.setdefault(section, [])
                continue
            key, sep, value = line.partition("=")
            assert sep and section, f"{path}: {line!r}"
            unit.sections[section].append((key.strip(), value.strip()))
        return unit

    @property
    def name(self) -> str:
        return self.path.name

    def all(self, key: str, section: str = "Service") -> list[str]:
        return [v for k, v in self.sections.get(section, []) if k == key]

    def one(self, key: str, section: str = "Service") -> str | None:
        values = self.all(key, section)
        return values[-1] if values else None


def service_units() -> list[Unit]:
    return [Unit.read(path) for path in sorted(UNITS_DIR.glob("*.service"))]


@dataclass
class Server:
    """Where the units' absolute paths lead on this machine."""

    root: Path  # temp folder standing for the server's /etc, /var and /run
    env_file: Path  # /etc/jingkou/env
    hostname: str  # systemd's %H

    @property
    def paths(self) -> dict[str, str]:
        # Longest first: /srv/jingkou/app before /srv/jingkou.
        return {
            "/srv/jingkou/app": str(BASE_DIR),
            "/srv/jingkou/media": str(self.root / "media"),
            "/etc/jingkou/env": str(self.env_file),
            "/var/lib/jingkou": str(self.root / "state"),
            "/run/jingkou": str(self.root / "run"),
            "/var/backups/jingkou": str(self.root / "backups"),
        }

    def map(self, text: str) -> str:
        text = text.replace("%H", self.hostname).replace("%%", "%")
        for server_path, here in self.paths.items():
            text = text.replace(server_path, here)
        return text

    def command(self, line: str) -> list[str]:
        """An Exec*= line as argv: prefixes (-, @, +, !) dropped, specifiers and paths mapped."""
        argv = shlex.split(self.map(line.lstrip("-@+!:")))
        assert argv and os.access(argv[0], os.X_OK), f"not an executable here: {line!r}"
        return argv

    def environment(self, unit: Unit) -> dict[str, str]:
        """What systemd gives the unit's processes: a plain PATH, the files, the assignments."""
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(self.root)}
        for env_file in unit.all("EnvironmentFile"):
            path = Path(self.map(env_file.lstrip("-")))
            if path.exists() or not env_file.startswith("-"):
                env.update(read_env_file(path))
        for assignments in unit.all("Environment"):
            for assignment in shlex.split(self.map(assignments)):
                key, _, value = assignment.partition("=")
                env[key] = value
        # RuntimeDirectory=/StateDirectory=: systemd creates them and says where.
        for key, var, base in (
            ("RuntimeDirectory", "RUNTIME_DIRECTORY", "run"),
            ("StateDirectory", "STATE_DIRECTORY", "state"),
        ):
            if unit.one(key):
                folder = self.root / base
                folder.mkdir(parents=True, exist_ok=True)
                env[var] = str(folder)
        return env

    def workdir(self, unit: Unit) -> str:
        return self.map(unit.one("WorkingDirectory") or "/")

    def run_pre(self, unit: Unit, extra_env: dict[str, str] | None = None, timeout=300) -> None:
        for line in unit.all("ExecStartPre"):
            result = subprocess.run(
                self.command(line),
                cwd=self.workdir(unit),
                env={**self.environment(unit), **(extra_env or {})},
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            assert result.returncode == 0, f"{unit.name}: {line}\n{result.stderr[-3000:]}"

    def start(self, unit: Unit, log: Path, extra_env: dict[str, str] | None = None):
        """ExecStart= as a process of its own group (stopped with the unit's KillSignal)."""
        (line,) = unit.all("ExecStart")
        log_file = log.open("wb")
        process = subprocess.Popen(
            self.command(line),
            cwd=self.workdir(unit),
            env={**self.environment(unit), **(extra_env or {})},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.log_path = log
        return process


def stop(process, timeout: float = 20) -> int:
    """SIGTERM to the process group (systemd's KillMode=mixed/control-group), then SIGKILL."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode


def log_tail(process, chars: int = 3000) -> str:
    return Path(process.log_path).read_text(errors="replace")[-chars:]


def wait_http(url: str, process, timeout: float = 60) -> int:
    """Poll url until it answers at all; return the status. Fails if the process died first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited {process.returncode}:\n{log_tail(process)}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (local URL)
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {timeout} s:\n{log_tail(process)}")
