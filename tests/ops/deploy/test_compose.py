"""deploy/docker-compose.yml: validated and checked against the systemd units. NOT RUN: no Docker
engine runs on this machine or in CI; `docker-compose config` (Debian's docker-compose 1.29)
parses, validates and interpolates the file without one."""

import shlex
import shutil
import subprocess

import pytest
import yaml

from .support import BASE_DIR, DEPLOY, ENV_EXAMPLE, read_env_file, service_units

COMPOSE = DEPLOY / "docker-compose.yml"


def _args(command: str | list[str]) -> list[str]:
    """A service's command as argv, without the shell wrapper, the venv path and the options
    that only name a place (a worker's node name, beat's schedule file)."""
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if argv[:2] == ["sh", "-c"]:
        argv = shlex.split(argv[2].split("&&")[-1].replace("exec ", ""))
    argv[0] = argv[0].rsplit("/", 1)[-1]
    return [a for a in argv if not a.startswith(("--hostname", "--schedule"))]


def _unit_commands() -> list[list[str]]:
    return [_args(unit.one("ExecStart")) for unit in service_units()]


@pytest.fixture
def project(tmp_path):
    """The compose file beside the env file it names (deploy/.env, from deploy/env.example)."""
    (tmp_path / "deploy").mkdir()
    shutil.copy(COMPOSE, tmp_path / "deploy" / "docker-compose.yml")
    shutil.copy(DEPLOY / "Dockerfile", tmp_path / "deploy" / "Dockerfile")
    shutil.copy(ENV_EXAMPLE, tmp_path / "deploy" / ".env")
    return tmp_path / "deploy" / "docker-compose.yml"


@pytest.mark.compose
def test_docker_compose_config_validates_the_file(project):
    command = ["docker-compose", "-p", "jingkou", "-f", str(project), "config"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    # Interpolated and merged (the x-app anchor): every app service got the env file's values.
    for name in ("web", "worker", "beat"):
        environment = resolved["services"][name]["environment"]
        assert environment["DEBUG"] == "false"
        assert environment["DATABASE_URL"].startswith("postgres://jingkou:jingkou@postgres:5432/")
    assert resolved["services"]["web"]["environment"]["GUNICORN_BIND"] == "0.0.0.0:8001"


def test_the_services_run_what_the_systemd_units_run():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    units = _unit_commands()
    app_services = [name for name, service in services.items() if "build" in service]
    assert {"web", "worker", "beat"} <= set(app_services)
    for name in app_services:  # each one a unit runs too (a notifications worker, say)
        assert _args(services[name]["command"]) in units, (name, services[name]["command"])
    # web migrates first, as jingkou-web.service's ExecStartPre does (collectstatic is in the
    # image: deploy/Dockerfile).
    assert "manage.py migrate --noinput" in services["web"]["command"]
    for name in ("web", "worker", "beat"):
        assert set(services[name]["depends_on"]) == {"postgres", "redis"}


def test_every_variable_the_compose_file_sets_is_read_by_the_portal():
    compose = yaml.safe_load(COMPOSE.read_text())
    source = (BASE_DIR / "jingkou" / "settings.py").read_text()
    source += (DEPLOY / "gunicorn.conf.py").read_text()
    names = set(read_env_file(ENV_EXAMPLE))
    for service in compose["services"].values():
        if "build" in service:  # the portal's image (x-app)
            names |= set(service.get("environment", {}))
    for name in sorted(names):
        assert f'"{name}"' in source, f"{name} is set for the portal but never read"
