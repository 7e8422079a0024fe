"""Test-wide fixtures and the rules for tests that need real services.

Tests marked `postgres`, `redis` or `browser` need PostgreSQL, Redis or Debian's chromium; those
marked `nginx`, `systemd` or `compose` need Debian's nginx (and openssl), systemd-analyze or
docker-compose (the deploy/ tests, tests/ops/deploy). On a
plain `make test` without them they skip, saying how to enable them; under CI=true (bash .ci/run)
a missing service fails the test instead, so CI can never pass by skipping them.
"""

import os

import pytest
from django.conf import settings
from django.db import connection

# Playwright's sync API runs an event loop in the test thread; the ORM calls in the same test
# are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = "/usr/bin/chromium"
# Debian's packages the deploy/ tests run (bash .ci/run installs them).
DEPLOY_TOOLS = {
    "nginx": ("/usr/sbin/nginx", "/usr/bin/openssl"),
    "systemd": ("/usr/bin/systemd-analyze",),
    "compose": ("/usr/bin/docker-compose",),
}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def _redis_answers() -> bool:
    if not settings.REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _missing(marker: str) -> str | None:
    if marker == "postgres" and connection.vendor != "postgresql":
        return (
            "needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingkou "
            "(bash .ci/run does)"
        )
    if marker == "redis" and not _redis_answers():
        return "needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0 (bash .ci/run does)"
    if marker == "browser" and not os.path.exists(CHROMIUM):
        return "needs Debian's chromium: apt-get install -y chromium (bash .ci/run does)"
    if marker in DEPLOY_TOOLS and not all(os.access(p, os.X_OK) for p in DEPLOY_TOOLS[marker]):
        package = "docker-compose" if marker == "compose" else marker
        return f"needs Debian's {package}: apt-get install -y {package} (bash .ci/run does)"
    return None


def pytest_configure(config):
    # Test logins need no key stretching: PBKDF2 costs a quarter second per user on this machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_runtest_setup(item):
    for marker in ("postgres", "redis", "browser", *DEPLOY_TOOLS):
        if item.get_closest_marker(marker):
            reason = _missing(marker)
            if reason and IN_CI:
                pytest.fail(f"CI must run this test, but it {reason}", pytrace=False)
            if reason:
                pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    reason = _missing("browser")
    if reason and IN_CI:
        pytest.fail(f"CI must run the browser tests, but it {reason}", pytrace=False)
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser, live_server):
    """A page at a phone's width (360 px) that fails the test on any console error."""
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    yield page
    context.close()


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits and cached figures live in the cache: every test starts from an empty one."""
    from django.core.cache import cache

    from core.cache import forget_versions

    cache.clear()
    forget_versions()  # the versions of the in-memory lists this process read last
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the portal's default language: a page fetched by an earlier test
    leaves the language its middleware chose active in this thread (a server activates one per
    request, so only tests notice)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def english():
    """Messages read in English (the catalogue gives them in Chinese by default): a module that
    pins wording asks for it with `pytest.mark.usefixtures("english")`."""
    from django.utils import translation

    with translation.override("en"):
        yield
