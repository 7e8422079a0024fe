import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run_check(env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_with_debug_off_and_no_secret_key_the_portal_refuses_to_start():
    result = _run_check({"DEBUG": "false", "ALLOWED_HOSTS": "example.org"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_with_debug_off_and_a_secret_key_it_starts():
    result = _run_check({"DEBUG": "false", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "example.org"})
    assert result.returncode == 0, result.stderr


def _setting(name, env_overrides):
    """The value of one setting in a fresh process, with DEBUG and SECRET_KEY from the overrides."""
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.update(env_overrides)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; "
            f"print(repr(settings.{name}))",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "jingkou.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_is_off_unless_the_environment_turns_it_on():
    result = _setting("DEBUG", {"SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "example.org"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_an_environment_file_that_forgets_debug_and_the_key_does_not_start():
    result = _setting("DEBUG", {"ALLOWED_HOSTS": "example.org"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_bad_value_stops_the_start_naming_the_variable():
    result = _setting("EMAIL_PORT", {"DEBUG": "true", "EMAIL_PORT": "25x"})
    assert result.returncode != 0
    assert "ImproperlyConfigured: Environment variable EMAIL_PORT='25x' is not a whole number" in (
        result.stderr
    )


def test_a_mistyped_debug_is_refused_rather_than_read_as_off():
    result = _setting("DEBUG", {"DEBUG": "ture", "SECRET_KEY": "x" * 60})
    assert result.returncode != 0
    assert "DEBUG='ture' is not a yes/no value" in result.stderr


def test_the_tests_run_with_the_development_settings():
    # pyproject.toml's [tool.pytest_env] sets DEBUG before pytest-django reads the settings.
    from django.conf import settings

    assert os.environ["DEBUG"] == "true"
    assert settings.SECRET_KEY.startswith("insecure-local-development-key")
    assert "testserver" in settings.ALLOWED_HOSTS
