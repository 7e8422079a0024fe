"""Open311 GeoReport v2 at /open311/v2/: every resource against the spec's element lists, XML
equal to JSON, api_key checks, errors in the spec's shape, and no personal data in a GET."""

import datetime
import json
import re

import pytest
from django.utils import timezone

from open311 import services as open311_services
from open311.formats import as_text, xml_to_data
from open311.models import ApiKey, Submission
from resident_requests.models import DESCRIPTION_MAX_LENGTH, Channel, ResidentRequest
from tests.resident_requests.factories import submit

from . import spec

BASE = "/open311/v2/"
ISO_WITH_ZONE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def get_both(client, path, params=None):
    """GET path as .json and .xml; check the XML is well-formed and carries the same content."""
    as_json = client.get(f"{BASE}{path}.json", params or {})
    as_xml = client.get(f"{BASE}{path}.xml", params or {})
    assert as_json.status_code == as_xml.status_code
    assert as_json["Content-Type"].startswith("application/json")
    assert as_xml["Content-Type"].startswith("text/xml")
    data = json.loads(as_json.content)
    assert xml_to_data(as_xml.content) == as_text(data)
    return as_json.status_code, data, as_xml.content


def assert_error(response, status):
    assert response.status_code == status
    if response["Content-Type"].startswith("application/json"):
        errors = json.loads(response.content)
    else:
        assert response.content.lstrip().startswith(b"<?xml")
        assert b"<errors><error>" in response.content
        errors = xml_to_data(response.content)
    assert errors and all(set(e) == spec.ERROR for e in errors)
    assert str(errors[0]["code"]) == str(status)
    assert errors[0]["description"]
    return errors[0]["description"]


def file(client, data, fmt="json"):
    return client.post(f"{BASE}requests.{fmt}", data)


# --- Discovery and services -----------------------------------------------------------------------


def test_discovery(w, client):
    status, data, _xml = get_both(client, "discovery")
    assert status == 200
    assert set(data) == spec.DISCOVERY
    (endpoint,) = data["endpoints"]
    assert set(endpoint) == spec.DISCOVERY_ENDPOINT
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert ISO_WITH_ZONE.match(data["changeset"])


def test_services_one_per_active_leaf_category(w, client):
    w.other_category.active = False
    w.other_category.save()
    status, data, _xml = get_both(client, "services")
    assert status == 200
    assert all(set(s) == spec.SERVICE for s in data)
    by_code = {s["service_code"]: s for s in data}
    assert w.category.code in by_code
    assert w.other_category.code not in by_code  # inactive
    assert w.category.parent.code not in by_code  # a group, not a service
    service = by_code[w.category.code]
    assert service["group"] == w.category.parent.name
    assert service["type"] in spec.SERVICE_TYPES
    assert service["metadata"] is True


def test_service_definition_offers_the_building_as_a_list(w, client):
    status, data, _xml = get_both(client, f"services/{w.category.code}")
    assert status == 200
    assert set(data) == spec.SERVICE_DEFINITION
    for attribute in data["attributes"]:
        assert set(attribute) == spec.ATTRIBUTE
        assert attribute["datatype"] in spec.DATATYPES
        assert all(set(v) == spec.ATTRIBUTE_VALUE for v in attribute["values"])
    building = next(a for a in data["attributes"] if a["code"] == "building")
    assert building["datatype"] == "singlevaluelist"
    keys = {v["key"]: v["name"] for v in building["values"]}
    assert keys[str(w.buildings[0].pk)] == w.buildings[0].address


def test_unknown_service_is_404_in_both_formats(w, client):
    assert_error(client.get(f"{BASE}services/no-such.json"), 404)
    assert_error(client.get(f"{BASE}services/no-such.xml"), 404)


def test_unknown_format_and_jurisdiction(w, client, settings):
    assert_error(client.get(f"{BASE}services.csv"), 404)
    assert_error(client.get(f"{BASE}services.json", {"jurisdiction_id": "elsewhere"}), 404)
    ok = client.get(f"{BASE}services.json", {"jurisdiction_id": settings.OPEN311_JURISDICTION_ID})
    assert ok.status_code == 200


# --- POST requests ------------------------------------------------------------------------------------


def test_post_files_a_request_through_the_web_forms_path(w, client, filing):
    response = file(client, filing)
    assert response.status_code == 201, response.content
    (body,) = json.loads(response.content)
    assert set(body) == spec.POST_RESPONSE  # the id, so no token (the spec: one or the other)
    assert body["service_notice"]
    request = ResidentRequest.objects.get(public_id=body["service_request_id"])
    assert request.channel == Channel.WEB
    assert request.submitter_name == "李阿姨"
    assert request.submitter_phone == "13912345678"
    assert request.building == w.buildings[0]
    assert request.events.get().kind == "submitted"
    assert Submission.objects.filter(request=request).exists()
    assert ApiKey.objects.get().last_used_at is not None


def test_post_answers_in_xml_too(w, client, filing):
    response = file(client, filing, fmt="xml")
    assert response.status_code == 201
    (body,) = xml_to_data(response.content)
    assert set(body) == spec.POST_RESPONSE
    assert ResidentRequest.objects.filter(public_id=body["service_request_id"]).exists()


def test_post_without_or_with_a_bad_key_is_403(w, client, filing):
    del filing["api_key"]
    assert_error(file(client, filing), 403)
    assert_error(file(client, {**filing, "api_key": "made-up"}, fmt="xml"), 403)
    assert not ResidentRequest.objects.exists()


def test_revoked_key_stops_working(w, client, filing):
    open311_services.api_key_revoke(key=ApiKey.objects.get())
    assert_error(file(client, filing), 403)


def test_post_unknown_service_is_404(w, client, filing):
    assert_error(file(client, {**filing, "service_code": "nope"}), 404)


def test_post_accepts_our_jurisdiction_only(w, client, filing, settings):
    ok = file(client, {**filing, "jurisdiction_id": settings.OPEN311_JURISDICTION_ID})
    assert ok.status_code == 201
    assert_error(file(client, {**filing, "jurisdiction_id": "nyc"}), 404)


@pytest.mark.parametrize(
    "change",
    [
        {"phone": ""},
        {"phone": "12345"},
        {"first_name": "", "last_name": ""},
        {"description": ""},
        {"description": "灯坏"},  # the web form wants at least 5 characters
        {"description": "很" * (DESCRIPTION_MAX_LENGTH + 1)},
        {"address_id": "999999"},
        {"address_id": "", "lat": "abc", "long": "119.45"},
        {"address_id": "", "lat": "95", "long": "119.45"},
        {"address_id": ""},
        {"email": "not-an-address"},
        {"media_url": "javascript:alert(1)"},
        {"service_code": ""},
    ],
)
def test_post_bad_input_is_400_with_a_message(w, client, filing, change):
    description = assert_error(file(client, {**filing, **change}), 400)
    assert len(description) > 5
    assert not ResidentRequest.objects.exists()


def test_post_takes_a_description_of_the_open311_length_and_refuses_one_more(w, client, filing):
    assert DESCRIPTION_MAX_LENGTH == 4000  # GeoReport v2 allows 4,000 characters
    too_long = file(client, {**filing, "description": "很" * (DESCRIPTION_MAX_LENGTH + 1)})
    assert_error(too_long, 400)
    assert not ResidentRequest.objects.exists()
    response = file(client, {**filing, "description": "很" * DESCRIPTION_MAX_LENGTH})
    assert response.status_code == 201, response.content
    assert len(ResidentRequest.objects.get().description) == DESCRIPTION_MAX_LENGTH


def test_post_finds_the_building_from_lat_long(w, client, filing):
    target = w.buildings[2]
    del filing["address_id"]
    response = file(client, {**filing, "lat": str(target.lat + 0.0003), "long": str(target.lng)})
    assert response.status_code == 201, response.content
    request = ResidentRequest.objects.get()
    assert request.building == target
    assert request.lat == pytest.approx(target.lat + 0.0003)


def test_post_far_from_every_building_is_400(w, client, filing):
    del filing["address_id"]
    assert_error(file(client, {**filing, "lat": "31.0", "long": "121.0"}), 400)


def test_post_by_address_string_and_by_attribute(w, client, filing):
    del filing["address_id"]
    by_text = file(client, {**filing, "address_string": w.buildings[1].address})
    assert by_text.status_code == 201, by_text.content
    by_attribute = file(
        client,
        {
            **filing,
            "attribute[building]": str(w.buildings[2].pk),
            "attribute[address_detail]": "2单元3楼",
            "phone": "13912345670",
        },
    )
    assert by_attribute.status_code == 201, by_attribute.content
    buildings = set(ResidentRequest.objects.values_list("building_id", flat=True))
    assert buildings == {w.buildings[1].pk, w.buildings[2].pk}
    assert ResidentRequest.objects.filter(address="2单元3楼").exists()


def test_post_keeps_the_web_forms_rate_limit_per_phone(w, client, filing, settings):
    settings.RESIDENT_REQUEST_RATE_LIMITS = {"submit_phone": (2, 86400)}
    assert file(client, filing).status_code == 201
    assert file(client, filing).status_code == 201
    assert_error(file(client, filing), 429)
    assert ResidentRequest.objects.count() == 2


def test_post_stores_a_media_url_but_does_not_publish_it(w, client, filing):
    # The issue "public means public": media_url shows only photos a grid leader approved; a
    # client's URL is kept for staff but nobody approved what it shows.
    url = "https://example.org/photos/1.jpg"
    response = file(client, {**filing, "media_url": url})
    (body,) = json.loads(response.content)
    assert Submission.objects.get(request__public_id=body["service_request_id"]).media_url == url
    status, (record,), xml = get_both(client, f"requests/{body['service_request_id']}")
    assert "media_url" not in record
    assert url not in xml.decode()


def test_get_on_post_only_and_post_on_get_only(w, client, api_key):
    response = client.post(f"{BASE}services.json", {"api_key": api_key})
    assert_error(response, 405)


# --- GET requests -----------------------------------------------------------------------------------


def test_get_request_record_has_the_spec_fields_and_no_personal_data(w, client):
    request = submit(w, submitter_name="王秀英", submitter_phone="13800138000", address="2单元")
    status, (record,), xml = get_both(client, f"requests/{request.public_id}")
    assert status == 200
    assert set(record) >= spec.REQUEST - {"zipcode", "media_url"}  # no postcode, no photo
    assert record["status"] in spec.STATUSES
    assert record["extended_status"] in spec.EXTENDED_STATUSES
    assert record["service_code"] == w.category.code
    assert record["address"] == w.buildings[0].address
    assert record["lat"] == pytest.approx(w.buildings[0].lat)
    for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert ISO_WITH_ZONE.match(record[key]), key
    body = json.dumps(record, ensure_ascii=False) + xml.decode()
    for secret in ("王秀英", "13800138000", "8000", "2单元", request.access_token):
        assert secret not in body


def test_get_unknown_request_is_404(w, client):
    assert_error(client.get(f"{BASE}requests/JK-NOPE.json"), 404)
    assert_error(client.get(f"{BASE}requests/JK-NOPE.xml"), 404)


def test_get_requests_filters(w, client):
    first = submit(w)
    second = submit(w, building_index=2, submitter_phone="13912340000", category=w.other_category)
    status, data, _xml = get_both(client, "requests")
    assert {r["service_request_id"] for r in data} == {first.public_id, second.public_id}

    _s, data, _x = get_both(client, "requests", {"service_code": w.other_category.code})
    assert [r["service_request_id"] for r in data] == [second.public_id]
    _s, data, _x = get_both(client, "requests", {"status": "closed"})
    assert data == []
    # service_request_id overrides the other filters.
    _s, data, _x = get_both(
        client,
        "requests",
        {
            "service_request_id": f"{first.public_id},{second.public_id.lower()}",
            "status": "closed",
        },
    )
    assert {r["service_request_id"] for r in data} == {first.public_id, second.public_id}


def test_get_requests_date_window(w, client):
    request = submit(w)
    old = timezone.now() - datetime.timedelta(days=120)
    ResidentRequest.objects.filter(pk=request.pk).update(created_at=old)
    _s, data, _x = get_both(client, "requests")
    assert data == []  # older than the default 90 days
    day = timezone.localtime(old).date()
    _s, data, _x = get_both(
        client, "requests", {"start_date": f"{day}T00:00:00+08:00", "end_date": str(day)}
    )
    assert [r["service_request_id"] for r in data] == [request.public_id]


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        {"start_date": "2026-06-01", "end_date": "2026-01-01"},
        {"start_date": "yesterday"},
        {"end_date": "2026-02-30"},
        {"start_date": "0001-01-01"},
        {"status": "pending"},
    ],
)
def test_get_requests_bad_parameters_are_400(w, client, params):
    assert_error(client.get(f"{BASE}requests.json", params), 400)
    assert_error(client.get(f"{BASE}requests.xml", params), 400)


def test_get_requests_returns_at_most_the_limit(w, client, monkeypatch):
    from open311 import selectors

    for i in range(3):
        submit(w, submitter_phone=f"1391234{i:04d}")
    monkeypatch.setattr(selectors, "MAX_RECORDS", 2)
    _s, data, _x = get_both(client, "requests")
    assert len(data) == 2


def test_get_requests_query_count_is_fixed(w, client, django_assert_max_num_queries):
    for i in range(10):
        submit(w, submitter_phone=f"1391234{i:04d}")
    with django_assert_max_num_queries(8):
        assert client.get(f"{BASE}requests.json").status_code == 200


def test_token_leads_to_the_request(w, client, filing):
    (body,) = json.loads(file(client, filing).content)
    token = Submission.objects.get().token  # not in the answer, which has the id already
    status, data, _xml = get_both(client, f"tokens/{token}")
    assert status == 200
    assert data == [{"service_request_id": body["service_request_id"], "token": token}]
    assert all(set(item) == spec.TOKEN for item in data)
    assert_error(client.get(f"{BASE}tokens/unknown.json"), 404)


def test_reads_are_throttled_per_address(w, client, settings):
    settings.RESIDENT_REQUEST_RATE_LIMITS = {"lookup_ip": (3, 600)}
    for _ in range(3):
        assert client.get(f"{BASE}services.json").status_code == 200
    assert_error(client.get(f"{BASE}services.json"), 429)
