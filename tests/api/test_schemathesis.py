"""Schemathesis against /api/schema/: every operation, with generated (often invalid) input,
answers without a server error, and every 4xx carries a message.

Bounded (a few examples per operation, derandomized, no example database) so it stays a few
seconds per operation's worth in CI.
"""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode

from tests.organization.factories import UserFactory

EXAMPLES = 4


def four_xx_has_a_message(ctx, response, case):
    """A 4xx answer says what was wrong: a body that is not empty (a JSON message from the
    API; Django's not-found page for a path no route matches, e.g. an empty id)."""
    if 400 <= response.status_code < 500 and response.status_code != 405:
        content_type = response.headers.get("content-type", [""])
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        if "json" in content_type:
            body = json.loads(response.content or b"null")
        else:
            body = response.content.strip()
        assert body, f"{case.operation.label} answered {response.status_code} without a message"


def load_schema():
    """The schema /api/schema/ serves; the calls go to the portal's WSGI application."""
    app = get_wsgi_application()
    return schemathesis.openapi.from_wsgi("/api/schema/", app)


@pytest.fixture
def keep_test_connection():
    """The real WSGI handler closes the database connection around each request when it is
    not in autocommit mode, i.e. inside the test's transaction: keep it, as Django's test
    client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_api_never_answers_bad_input_with_a_server_error(
    db, settings, tmp_path, keep_test_connection
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = UserFactory(is_superuser=True)
    user.save()
    schema = load_schema()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    failures, statuses = [], []
    for operation in operations:

        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(
            case=operation.as_strategy(GenerationMode.POSITIVE)
            | operation.as_strategy(GenerationMode.NEGATIVE)
        )
        def run(case):
            # DELETE /auth/token/ revokes the token: sign in with a current one every time.
            token, _created = Token.objects.get_or_create(user=user)
            response = case.call_and_validate(
                headers={"Authorization": f"Token {token.key}"},
                checks=[not_a_server_error, four_xx_has_a_message],
            )
            statuses.append(response.status_code)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, not just the first
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    # The run did call the API, and generated input was refused as well as accepted.
    assert len(statuses) >= len(operations)
    assert any(400 <= code < 500 for code in statuses)
    assert any(200 <= code < 300 for code in statuses)
    print(len(operations), "operations", len(statuses), "calls", sorted(set(statuses)))
