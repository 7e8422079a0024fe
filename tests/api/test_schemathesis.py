"""Schemathesis against /api/schema/: every operation, with generated (often invalid) input,
signed in (a staff user's token) and anonymous, answers without a server error, with a status
code, a content type and a body that the schema documents for that operation, and every 4xx
carries a message.

Bounded (a few examples per operation, derandomized, no example database) so it stays a few
seconds per operation's worth in CI.
"""

import json
import re

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation.modes import GenerationMode

from resident_requests.services import request_public_map_set
from tests.grids.factories import BASE_LAT, BASE_LNG, station
from tests.party_work.factories import deputy, session, team
from tests.resident_requests.factories import submit

EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]


def four_xx_has_a_message(ctx, response, case):
    """A 4xx answer says what was wrong: a JSON body in the API's error shape with a `detail`."""
    if 400 <= response.status_code < 500:
        content_type = response.headers.get("content-type", [""])
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        assert "json" in content_type, f"{case.operation.label}: {content_type}"
        body = json.loads(response.content or b"null")
        assert isinstance(body, dict) and body.get("detail"), (
            f"{case.operation.label} answered {response.status_code} without a message"
        )


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


def run_operations(operations, headers_for, checks):
    """Every operation with EXAMPLES positive and negative cases; (failures, statuses)."""
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
            # The throttles count every call: start each from zero, else all but the first
            # minute's worth would be 429s.
            cache.clear()
            response = case.call_and_validate(headers=headers_for(), checks=checks)
            statuses.append(response.status_code)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failures, not one
            failures.append(f"{operation.label}: {exc}")
    return failures, statuses


def known_cases(operations, headers, queries):
    """A case with real data for every GET operation (a detail's id taken from its list, as
    signed in), so the schema's bodies are checked against real answers, not only errors."""
    by_path = {(op.method.upper(), op.path): op for op in operations}
    cases = []
    for op in operations:
        if op.method.upper() != "GET":
            continue
        names = re.findall(r"{(\w+)}", op.path)
        if not names:
            cases.append(op.Case(query=queries.get(op.path, {})))
            continue
        list_op = by_path.get(("GET", re.sub(r"{\w+}/$", "", op.path)))
        if list_op is None:
            continue
        cache.clear()
        rows = list_op.Case().call(headers=headers()).json()
        rows = rows["results"] if isinstance(rows, dict) else rows
        if rows:
            cases.append(op.Case(path_parameters={names[0]: rows[0][names[0]]}))
    return cases


def test_api_answers_as_its_schema_says_signed_in_and_anonymous(w, settings, keep_test_connection):
    user = w.users["street"]  # a staff user with a scope (a street and all below it)
    request = submit(w)  # unassigned: its assignee's names are null
    # On the public map of problems: its GeoJSON answers with a feature the schema checks.
    request_public_map_set(
        request=submit(w, public_allowed=True), actor=w.users["leader"], approved=True
    )
    station(w.street, grids=[w.grids[0]])  # opening hours
    session(w.communities[0])  # a reception session's times
    team(w.grids[0], [w.members[0]])
    deputy(w.communities[0])
    schema = load_schema()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20

    def token_header():
        # DELETE /auth/token/ revokes the token: sign in with a current one every time.
        token, _created = Token.objects.get_or_create(user=user)
        return {"Authorization": f"Token {token.key}"}

    checks = [*CHECKS, four_xx_has_a_message]
    failures, signed_in = run_operations(operations, token_header, checks)
    anonymous_failures, anonymous = run_operations(operations, dict, checks)
    failures += [f"anonymous {failure}" for failure in anonymous_failures]

    # Real objects: every GET answers 2xx signed in, as its schema says; anonymous, the staff
    # operations answer 401 and the public ones 200.
    queries = {
        "/api/v1/party-work/ranking/": {"unit": w.street.pk},
        "/api/v1/party-work/figures/": {"unit": w.street.pk},
        "/api/v1/coverage/": {"unit": w.street.pk},
        "/api/v1/buildings/search/": {"q": w.buildings[0].address[:4]},
        "/api/v1/stations/nearest/": {"lat": BASE_LAT, "lng": BASE_LNG},
    }
    cases = known_cases(operations, token_header, queries)
    assert len(cases) > 30
    known = {"signed in": {}, "anonymous": {}}
    for case in cases:
        for who, headers in (("signed in", token_header), ("anonymous", dict)):
            cache.clear()
            label = f"{who} {case.operation.label} {case.path_parameters or case.query}"
            try:
                response = case.call_and_validate(headers=headers(), checks=checks)
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{label}: {exc}")
                continue
            known[who][case.operation.label] = response.status_code
    # A transition the request's state does not allow: 409, as documented.
    resolve = next(op for op in operations if op.path.endswith("/resolve/"))
    case = resolve.Case(
        path_parameters={"code": request.code},
        body={"note": "已处理。"},
        media_type="application/json",
    )
    try:
        conflict = case.call_and_validate(headers=token_header(), checks=checks)
        assert conflict.status_code == 409, conflict.content
    except (Exception, BaseExceptionGroup) as exc:
        failures.append(f"resolve a new request: {exc}")
    assert not failures, "\n\n".join(failures)

    refused = {label: code for label, code in known["signed in"].items() if not 200 <= code < 300}
    assert refused == {}
    public = {label for label, code in known["anonymous"].items() if code == 200}
    assert set(known["anonymous"].values()) == {200, 401}
    assert "GET /api/v1/requests/" not in public
    assert "GET /api/v1/party-work/public/sessions/" in public
    assert "GET /api/v1/problems/geojson/" in public
    # The run did call the API, and generated input was refused as well as accepted.
    for statuses in (signed_in, anonymous):
        assert len(statuses) >= len(operations)
        assert any(400 <= code < 500 for code in statuses)
        assert any(200 <= code < 300 for code in statuses)
    print(len(operations), "operations", len(signed_in) + len(anonymous), "generated calls")
    print("signed in", sorted(set(signed_in)), "anonymous", sorted(set(anonymous)))
    print(len(cases), "known cases", known)
