"""Open311 is not in /api/schema/, so its bad input is fuzzed here: any text in any parameter
gets an answer in the spec's shape, never a server error."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BASE = "/open311/v2/"
text = st.text(max_size=60) | st.sampled_from(
    ["", "0", "-1", "1e309", "nan", "2026-02-30", "💥", "a\x00b", "9" * 30]
)
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _ok(response):
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        errors = json.loads(response.content)
        assert errors[0]["description"]


def test_post_with_any_input(w, client, api_key):
    @SETTINGS
    @given(
        fields=st.dictionaries(
            st.sampled_from(
                [
                    "service_code",
                    "lat",
                    "long",
                    "address_string",
                    "address_id",
                    "attribute[building]",
                    "attribute[address_detail]",
                    "email",
                    "first_name",
                    "last_name",
                    "phone",
                    "description",
                    "media_url",
                    "jurisdiction_id",
                ]
            ),
            text,
        ),
        with_key=st.booleans(),
    )
    def run(fields, with_key):
        data = dict(fields)
        if with_key:
            data["api_key"] = api_key
        _ok(client.post(f"{BASE}requests.json", data))

    run()


def test_get_with_any_parameters(w, client, settings):
    settings.RESIDENT_REQUEST_RATE_LIMITS = {"lookup_ip": (10_000, 600)}

    @SETTINGS
    @given(
        params=st.dictionaries(
            st.sampled_from(
                ["service_request_id", "service_code", "start_date", "end_date", "status"]
            ),
            text,
        ),
        path=st.sampled_from(["requests", "servicerequestupdates", "services", "discovery"]),
    )
    def run(params, path):
        _ok(client.get(f"{BASE}{path}.json", params))

    run()
