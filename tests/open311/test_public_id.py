"""Issue 19: Open311 publishes a random public id as service_request_id, never the tracking
code (which, with the phone's last 4 digits, opens the resident's page and its rating)."""

import json
import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from resident_requests import services
from resident_requests.models import CODE_ALPHABET, HandlingLevel, ResidentRequest
from tests.resident_requests.factories import at_level, submit

BASE = "/open311/v2/"
PUBLIC_ID = re.compile(rf"^[{CODE_ALPHABET}]{{14}}$")


def test_no_tracking_code_in_any_open311_answer(w, client, filing, settings):
    settings.RESIDENT_REQUEST_RATE_LIMITS = {"lookup_ip": (10_000, 600)}
    first = submit(w, submitter_phone="13912340001")
    duplicate = submit(w, submitter_phone="13912340002")
    services.request_merge(request=duplicate, into=first, actor=w.users["leader"])
    at_level(w, HandlingLevel.DEPARTMENT)
    posted = {fmt: client.post(f"{BASE}requests.{fmt}", filing) for fmt in ("json", "xml")}
    requests = list(ResidentRequest.objects.all())
    assert len(requests) == 5
    ids = ",".join(r.public_id for r in requests)
    bodies = [response.content for response in posted.values()]
    for fmt in ("json", "xml"):
        for path, query in [
            ("requests", {}),
            ("requests", {"service_request_id": ids}),
            *[(f"requests/{r.public_id}", {}) for r in requests],
            ("servicerequestupdates", {}),
            ("servicerequestupdates", {"service_request_id": ids}),
        ]:
            response = client.get(f"{BASE}{path}.{fmt}", query)
            assert response.status_code == 200, (path, response.content)
            bodies.append(response.content)
    text = b"\n".join(bodies).decode()
    for request in requests:
        assert PUBLIC_ID.match(request.public_id)
        assert request.public_id in text
        assert request.code not in text
    # The merged request's note names the other one by its public id.
    (merged,) = json.loads(client.get(f"{BASE}requests/{duplicate.public_id}.json").content)
    assert first.public_id in merged["status_notes"]


def test_get_by_public_id_works_and_a_tracking_code_finds_nothing(w, client):
    request = submit(w)
    (record,) = json.loads(client.get(f"{BASE}requests/{request.public_id}.json").content)
    assert record["service_request_id"] == request.public_id
    lower = client.get(f"{BASE}requests/{request.public_id.lower()}.xml")
    assert lower.status_code == 200
    for fmt in ("json", "xml"):
        assert client.get(f"{BASE}requests/{request.code}.{fmt}").status_code == 404
    by_code = client.get(f"{BASE}requests.json", {"service_request_id": request.code})
    assert json.loads(by_code.content) == []
    updates = client.get(f"{BASE}servicerequestupdates.json", {"service_request_id": request.code})
    assert json.loads(updates.content) == []


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_requests_their_own_public_id(w):
    requests = [submit(w, submitter_phone=f"1391234000{i}") for i in range(3)]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([("resident_requests", "0012_request_public_id")])
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE resident_requests_residentrequest SET public_id = NULL")
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([("resident_requests", "0014_request_public_id_unique")])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    ids = list(ResidentRequest.objects.values_list("public_id", flat=True))
    assert len(ids) == len(set(ids)) == len(requests)
    assert all(PUBLIC_ID.match(public_id) for public_id in ids)
    assert not set(ids) & {r.code for r in requests}


def test_staff_find_a_request_by_its_open311_id_in_the_admin(client, w):
    request = submit(w)
    other = submit(w, submitter_phone="13700000002")
    client.force_login(w.users["community"])
    for term, found in [
        (request.public_id.lower(), {request.code}),
        (other.public_id, {other.code}),
        (other.public_id[:6], set()),  # the whole id: no guessing by prefix
    ]:
        response = client.get("/admin/resident_requests/residentrequest/", {"q": term})
        assert {r.code for r in response.context["cl"].result_list} == found, term
    page = client.get(f"/admin/resident_requests/residentrequest/{request.pk}/change/")
    assert request.public_id in page.content.decode()
