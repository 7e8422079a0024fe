"""Production settings: `check --deploy` is clean; local development keeps working over HTTP."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "k" * 20 + "-production-test-key-" + "x9" * 20,
    "ALLOWED_HOSTS": "portal.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://portal.example.org",
}


def _manage(*args, env_overrides):
    # conftest.py allows async-unsafe ORM calls for Playwright; a deployment never does.
    dropped = {"SECRET_KEY", "DEBUG", "HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_finds_no_security_issue_with_the_production_settings():
    result = _manage("check", "--deploy", env_overrides=PRODUCTION_ENV)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Django's own deployment checks (security.W001…W022) and django-csp's, axes' and otp's.
    # drf-spectacular's schema warnings (W001/W002: API schema naming, from the API modules) are
    # about documentation, not deployment, and are left to the API owners.
    for prefix in ("security.", "csp.", "axes.", "otp", "async.", "staticfiles.", "caches."):
        assert f"({prefix}" not in output, output


def test_production_settings_turn_on_https_hsts_and_secure_cookies():
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER, s.LOG_FORMAT,"
        " s.STORAGES['staticfiles']['BACKEND'].rsplit('.', 1)[-1])"
    )
    result = _manage("shell", "-c", code, env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "True",
        "True",
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "json",
        "CompressedManifestStaticFilesStorage",
    ]


@pytest.mark.django_db
def test_local_development_needs_no_https(client):
    # The tests run with the development settings (DEBUG on when they are read).
    assert settings.SECURE_SSL_REDIRECT is False
    response = client.get("/")
    assert response.status_code == 200


def test_photos_go_to_s3_compatible_storage_when_the_setting_says_so():
    env = {
        **PRODUCTION_ENV,
        "MEDIA_STORAGE": "s3",
        "S3_BUCKET": "jingkou-media",
        "S3_ENDPOINT_URL": "https://s3.example.org",
        "S3_ACCESS_KEY_ID": "test-key",
        "S3_SECRET_ACCESS_KEY": "test-secret",
    }
    code = (
        "from django.core.files.storage import default_storage as d;"
        "url = d.url('x.jpg'); print(type(d._wrapped).__name__, url)"
    )
    result = _manage("shell", "-c", code, env_overrides=env)
    assert result.returncode == 0, result.stderr
    kind, url = result.stdout.strip().splitlines()[-1].split()
    assert kind == "S3Storage"
    # Private objects, handed out as signed links that expire, under media/.
    assert url.startswith("https://s3.example.org/jingkou-media/media/x.jpg?")
    assert "Signature=" in url or "X-Amz-Signature=" in url
