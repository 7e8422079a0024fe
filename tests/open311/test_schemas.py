"""Every resource the portal serves under /open311/v2/ against GeoReport v2, as a client that
validates would check it: JSON against the JSON Schemas in schemas/ (written from the spec's
text, draft 2020-12) with format checking on (date-time, uri), and XML by its element names.

One world holds a request in each shape a record can take: open with an approved photo,
without building or point, rejected, merged, at the departments, resolved, public with control
characters in its description, and one filed through POST.
"""

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from open311.models import Submission
from resident_requests import services
from resident_requests.models import HandlingLevel, RequestPhoto, ResidentRequest
from tests.resident_requests.factories import at_level, image_bytes, submit

from . import spec

BASE = "/open311/v2/"
SCHEMAS = Path(__file__).parent / "schemas"


def _load():
    schemas = {p.name: json.loads(p.read_text()) for p in sorted(SCHEMAS.glob("*.json"))}
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values()
    )
    return schemas, registry


SCHEMA_FILES, REGISTRY = _load()


def parse(content):
    return ET.fromstring(content)  # noqa: S314 - the portal's own answers, in tests


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(
        SCHEMA_FILES[name], registry=REGISTRY, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def schema_errors(name: str, data) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(name).iter_errors(data)
    ]


# --- The schemas themselves ---------------------------------------------------------------------


def test_the_schemas_are_valid_and_formats_are_really_checked():
    assert set(SCHEMA_FILES) == {
        "discovery.json",
        "services.json",
        "service_definition.json",
        "request.json",
        "requests.json",
        "post_answer.json",
        "token.json",
        "errors.json",
        "request_updates.json",
    }
    for schema in SCHEMA_FILES.values():
        Draft202012Validator.check_schema(schema)
    # Without rfc3339-validator / rfc3986-validator jsonschema skips these formats silently.
    assert {"date-time", "uri"} <= set(FormatChecker().checkers)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        # What the portal answered before: "" where a date-time or a URL may be left out.
        ("requests.json", [{"service_request_id": "X", "status": "open", "service_name": "s",
                            "service_code": "c", "requested_datetime": "2026-11-25T09:30:00+08:00",
                            "expected_datetime": ""}]),
        ("requests.json", [{"service_request_id": "X", "status": "open", "service_name": "s",
                            "service_code": "c", "requested_datetime": "2026-11-25T09:30:00+08:00",
                            "media_url": ""}]),
        ("requests.json", [{"service_request_id": "X", "status": "open", "service_name": "s",
                            "service_code": "c", "requested_datetime": "2026-11-25 09:30"}]),
        # ... and both the id and the token after POST.
        ("post_answer.json", [{"service_request_id": "X", "token": "t", "service_notice": ""}]),
        ("post_answer.json", [{"service_notice": "only a notice"}]),
        ("errors.json", [{"code": "400", "description": "bad"}]),
        ("services.json", [{"service_code": "c", "service_name": "n", "metadata": "true",
                            "type": "realtime"}]),
    ],
)  # fmt: skip
def test_the_schemas_refuse_what_the_spec_does_not_allow(name, data):
    assert schema_errors(name, data)


# --- Every resource, JSON and XML ---------------------------------------------------------------


@pytest.fixture
def published(w, client, filing, settings):
    """Requests in every shape a record takes, and the answers of a POST."""
    settings.RESIDENT_REQUEST_RATE_LIMITS = {"lookup_ip": (10_000, 600)}
    leader = w.users["leader"]
    with_photo = submit(w, submitter_phone="13912340001")
    photo = RequestPhoto.objects.create(
        request=with_photo, stage="submission", image=SimpleUploadedFile("a.jpg", image_bytes())
    )
    services.photo_public_set(photo=photo, actor=leader, approved=True)
    nowhere = submit(w, submitter_phone="13912340002")
    ResidentRequest.objects.filter(pk=nowhere.pk).update(building=None, lat=None, lng=None)
    rejected = submit(w, submitter_phone="13912340003")
    services.request_reject(request=rejected, actor=leader, reason="不属于受理范围。")
    merged = submit(w, submitter_phone="13912340004")
    services.request_merge(request=merged, into=with_photo, actor=leader)
    at_level(w, HandlingLevel.DEPARTMENT)
    resolved = submit(w, submitter_phone="13912340005")
    services.request_accept(request=resolved, actor=leader)
    services.request_dispatch(request=resolved, actor=leader, assignee=w.members[0])
    services.request_take(request=resolved, actor=w.members[0].user)
    services.request_resolve(request=resolved, actor=w.members[0].user, note="已修好。")
    odd = submit(w, submitter_phone="13912340006", public_allowed=True)
    # Control characters that reached the database (older rows, imports): XML 1.0 forbids them.
    ResidentRequest.objects.filter(pk=odd.pk).update(description="灯\x01坏了\x0b很久\x1f\ufffe")
    posted = client.post(f"{BASE}requests.json", filing)
    posted_xml = client.post(f"{BASE}requests.xml", {**filing, "phone": "13912340007"})
    assert posted.status_code == posted_xml.status_code == 201
    return {
        "with_photo": with_photo,
        "merged": merged,
        "nowhere": nowhere,
        "odd": odd,
        "posted": posted,
        "posted_xml": posted_xml,
        "token": Submission.objects.order_by("created_at", "pk").first().token,
    }


def _gets(w, p):
    """(path, query, status, JSON schema, XML shape) of every GET the portal answers."""
    ids = ",".join(r.public_id for r in (p["with_photo"], p["merged"], p["nowhere"]))
    return [
        ("discovery", {}, 200, "discovery.json", spec.XML_DISCOVERY),
        ("services", {}, 200, "services.json", spec.XML_SERVICES),
        (f"services/{w.category.code}", {}, 200, "service_definition.json",
         spec.XML_SERVICE_DEFINITION),
        ("requests", {}, 200, "requests.json", spec.XML_REQUESTS),
        ("requests", {"service_request_id": ids}, 200, "requests.json", spec.XML_REQUESTS),
        ("requests", {"status": "closed"}, 200, "requests.json", spec.XML_REQUESTS),
        (f"requests/{p['with_photo'].public_id}", {}, 200, "requests.json", spec.XML_REQUESTS),
        (f"requests/{p['nowhere'].public_id}", {}, 200, "requests.json", spec.XML_REQUESTS),
        (f"tokens/{p['token']}", {}, 200, "token.json", spec.XML_TOKEN),
        ("servicerequestupdates", {}, 200, "request_updates.json", spec.XML_REQUEST_UPDATES),
        ("services/nope", {}, 404, "errors.json", spec.XML_ERRORS),
        ("requests/NOPE", {}, 404, "errors.json", spec.XML_ERRORS),
        ("tokens/nope", {}, 404, "errors.json", spec.XML_ERRORS),
        ("requests", {"status": "pending"}, 400, "errors.json", spec.XML_ERRORS),
        ("services", {"jurisdiction_id": "nyc"}, 404, "errors.json", spec.XML_ERRORS),
    ]  # fmt: skip


def test_every_json_answer_passes_its_schema(w, client, published):
    problems = []
    for path, query, status, schema, _shape in _gets(w, published):
        response = client.get(f"{BASE}{path}.json", query)
        assert response.status_code == status, (path, response.content)
        data = json.loads(response.content)
        if path.startswith("requests/") and status == 200:
            assert len(data) == 1
        problems += [f"{path} {query}: {e}" for e in schema_errors(schema, data)]
    posts = [
        (published["posted"], "post_answer.json"),
        (client.post(f"{BASE}requests.json", {"service_code": w.category.code}), "errors.json"),
        (client.post(f"{BASE}services.json"), "errors.json"),
    ]
    for response, schema in posts:
        problems += [f"POST: {e}" for e in schema_errors(schema, json.loads(response.content))]
    assert problems == []

    # What the world was made for is there to be checked.
    records = json.loads(client.get(f"{BASE}requests.json").content)
    assert any("media_url" in r for r in records)
    assert any("lat" not in r and "address_id" not in r for r in records)
    assert any("expected_datetime" not in r for r in records)
    assert json.loads(client.get(f"{BASE}servicerequestupdates.json").content)


def test_every_xml_answer_parses_and_has_the_specs_element_names(w, client, published):
    problems = []
    answers = [
        (f"GET {path} {query}", client.get(f"{BASE}{path}.xml", query), status, shape)
        for path, query, status, _schema, shape in _gets(w, published)
    ]
    answers += [
        ("POST", published["posted_xml"], 201, spec.XML_POST_ANSWER),
        (
            "POST without key",
            client.post(f"{BASE}requests.xml", {"service_code": w.category.code}),
            403,
            spec.XML_ERRORS,
        ),
        ("POST services", client.post(f"{BASE}services.xml"), 405, spec.XML_ERRORS),
    ]
    for label, response, status, (root, shape) in answers:
        assert response.status_code == status, (label, response.content)
        assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
        element = parse(response.content)
        if element.tag != root:
            problems.append(f"{label}: root <{element.tag}>, not <{root}>")
        problems += [f"{label}: {p}" for p in spec.xml_shape_errors(element, shape)]
    assert problems == []


def test_a_description_with_control_characters_is_well_formed_xml(w, client, published):
    odd = published["odd"]
    response = client.get(f"{BASE}requests/{odd.public_id}.xml")
    element = parse(response.content)
    assert element.find("request/description").text == "灯坏了很久"
    (record,) = json.loads(client.get(f"{BASE}requests/{odd.public_id}.json").content)
    assert record["description"].startswith("灯\x01坏了")  # JSON escapes them: kept as stored


# --- POST: exactly one of service_request_id and token ------------------------------------------


def test_post_answers_the_id_alone_and_the_token_still_resolves(w, client, published):
    (answer,) = json.loads(published["posted"].content)
    assert set(answer) == {"service_request_id", "service_notice"}
    (answer_xml,) = parse(published["posted_xml"].content)
    assert [e.tag for e in answer_xml] == ["service_request_id", "service_notice"]
    submission = Submission.objects.get(request__public_id=answer["service_request_id"])
    (by_token,) = json.loads(client.get(f"{BASE}tokens/{submission.token}.json").content)
    assert by_token == {
        "service_request_id": answer["service_request_id"],
        "token": submission.token,
    }


def test_the_xml_check_finds_unexpected_missing_and_misnamed_elements():
    _root, shape = spec.XML_ERRORS
    good = parse("<errors><error><code>400</code><description>x</description></error></errors>")
    assert spec.xml_shape_errors(good, shape) == []
    bad = parse("<errors><error><code>400</code><extra/></error><mistake/></errors>")
    assert spec.xml_shape_errors(bad, shape) == [
        "/errors: <mistake> where <error> is expected",
        "/errors/error: unexpected <extra>",
        "/errors/error: <description> missing",
    ]
