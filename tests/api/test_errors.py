"""Every error under /api/ answers JSON in one shape (core.api.Error): DRF's own errors, the
portal's domain errors and Django's error pages alike; the schema documents it."""

import json

import pytest
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from core import api


def test_invalid_input_names_each_field_under_errors(w, client_for):
    response = client_for(w.users["org"]).get("/api/v1/requests/", {"status": "lost"})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert list(body["errors"]) == ["status"]
    assert body["detail"].startswith("status: ")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/requests/%C2%84/",  # an id the route refuses: Django's 404, not the view's
        "/api/v1/no-such-endpoint/",
        "/api/schema/extra/",
    ],
)
def test_an_unknown_api_address_answers_json_404(path):
    response = Client().get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


@pytest.mark.django_db
def test_pages_outside_the_api_keep_the_html_404():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_a_wrong_method_answers_json_405():
    response = APIClient().delete("/api/v1/stations/")
    assert response.status_code == 405
    assert response.json()["detail"]


def test_a_server_error_under_the_api_answers_json():
    factory = RequestFactory()
    response = api.server_error(factory.get("/api/v1/requests/"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["detail"]
    page = api.server_error(factory.get("/stations/"))
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"detail": "Not found."}, {"detail": "Not found."}),
        (["Give a unit."], {"detail": "Give a unit.", "errors": {"non_field_errors": ["Give a unit."]}}),
        (
            {"services": {0: ["Too long."]}, "name": ["Required."]},
            {"detail": "services.0: Too long.",
             "errors": {"services.0": ["Too long."], "name": ["Required."]}},
        ),
        ({"detail": ["One.", "Two."]}, {"detail": "One. Two."}),
    ],
)  # fmt: skip
def test_any_drf_error_payload_becomes_the_one_shape(data, expected):
    assert api.error_body(data) == expected


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    return response.json()


def test_every_error_answer_in_the_schema_is_the_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["detail"]
    codes = set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if code >= "400":
                    codes.add(code)
                    content = response["content"]
                    assert list(content) == ["application/json"], (method, path, code)
                    ref = content["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/Error", (method, path, code)
                    assert response["description"]
    assert codes == {"400", "401", "403", "404", "409", "429"}


def test_the_schema_documents_the_errors_each_operation_can_give(schema):
    paths = schema["paths"]
    assert set(paths["/api/v1/requests/{code}/accept/"]["post"]["responses"]) == {
        "200", "400", "401", "403", "404", "409", "429"
    }  # fmt: skip
    # A public list: no permission to refuse, an invalid token still 401.
    assert set(paths["/api/v1/stations/"]["get"]["responses"]) == {"200", "400", "401", "429"}
    assert set(paths["/api/v1/units/{id}/"]["get"]["responses"]) == {
        "200", "401", "403", "404", "429"
    }  # fmt: skip


def test_the_schema_types_match_the_answers(schema):
    components = schema["components"]["schemas"]
    assert components["RequestList"]["properties"]["assignee_name"]["nullable"] is True
    assert components["RequestList"]["properties"]["assignee_team_name"]["nullable"] is True
    for component, field in [
        ("OpeningHours", "opens"),
        ("OpeningHours", "closes"),
        ("Session", "start_time"),
        ("PublicSession", "end_time"),
    ]:
        declared = components[component]["properties"][field]
        assert "format" not in declared and declared["pattern"], (component, field)
