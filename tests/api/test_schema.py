"""/api/schema/ lists every endpoint of /api/v1/; Swagger UI and Redoc come from local files."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client


@pytest.fixture(scope="module")
def paths(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()["paths"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/auth/token/",
        "/api/v1/units/",
        "/api/v1/departments/",
        "/api/v1/categories/",
        "/api/v1/requests/",
        "/api/v1/requests/{code}/",
        "/api/v1/requests/{code}/accept/",
        "/api/v1/requests/{code}/dispatch/",
        "/api/v1/requests/{code}/escalate/",
        "/api/v1/requests/{code}/department-done/",
        "/api/v1/notifications/",
        # The grids app's endpoints, plain API views described in grids.api_schema.
        "/api/v1/stations/",
        "/api/v1/stations/nearest/",
        "/api/v1/stations/geojson/",
        "/api/v1/buildings/search/",
        "/api/v1/grids/",
        "/api/v1/coverage/",
    ],
)
def test_schema_lists_the_endpoint(paths, path):
    assert path in paths


def test_nearest_stations_is_described_with_its_parameters(paths):
    operation = paths["/api/v1/stations/nearest/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"lat", "lng", "limit"}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_only_local_files(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "http://" not in html and "https://" not in html
    for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert finders.find(src.removeprefix("/static/")), src
    assert re.search(r'src="/static/drf_spectacular_sidecar/', html)
