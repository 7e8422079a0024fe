"""A GeoReport v2 client's whole story: file a request, follow it by id through the workflow
(driven by the services, as staff and the party member would) until GET shows it closed."""

import json

from open311.formats import as_text, xml_to_data
from resident_requests import services
from resident_requests.models import HandlingLevel, Rating, ResidentRequest

from . import spec

BASE = "/open311/v2/"


def record(client, code):
    as_json = client.get(f"{BASE}requests/{code}.json")
    as_xml = client.get(f"{BASE}requests/{code}.xml")
    assert as_json.status_code == as_xml.status_code == 200
    (data,) = json.loads(as_json.content)
    assert xml_to_data(as_xml.content) == as_text([data])
    assert set(data) >= spec.REQUEST_ALWAYS
    return data


def test_file_then_follow_to_closed(w, client, filing):
    response = client.post(f"{BASE}requests.json", filing)
    assert response.status_code == 201, response.content
    code = json.loads(response.content)[0]["service_request_id"]
    request = ResidentRequest.objects.get(public_id=code)

    first = record(client, code)
    assert (first["status"], first["extended_status"]) == ("open", "open")
    assert first["agency_responsible"] == w.grids[0].name

    leader, member = w.users["leader"], w.members[0]
    services.request_accept(request=request, actor=leader, note="已受理，马上安排。")
    accepted = record(client, code)
    assert (accepted["status"], accepted["extended_status"]) == ("open", "investigating")
    assert accepted["status_notes"] == "已受理，马上安排。"

    services.request_dispatch(request=request, actor=leader, assignee=member)
    assert record(client, code)["extended_status"] == "action_scheduled"
    services.request_take(request=request, actor=member.user)
    assert record(client, code)["extended_status"] == "in_progress"
    services.request_resolve(request=request, actor=member.user, note="已更换楼道灯泡。")
    resolved = record(client, code)
    assert (resolved["status"], resolved["extended_status"]) == ("closed", "fixed")
    assert resolved["status_notes"] == "已更换楼道灯泡。"
    assert "expected_datetime" not in resolved  # nothing is expected of a closed request

    services.request_rate(request=request, rating=Rating.SATISFIED)
    closed = record(client, code)
    assert closed["status"] == "closed"
    assert closed["detailed_status"] == "closed"
    assert closed["status_notes"] == "已更换楼道灯泡。"

    updates = client.get(f"{BASE}servicerequestupdates.json", {"service_request_id": code})
    assert updates.status_code == 200
    rows = json.loads(updates.content)
    assert all(set(row) >= spec.REQUEST_UPDATE for row in rows)
    assert all(row["status"] in spec.EXTENDED_STATUSES for row in rows)
    assert [row["detailed_status"] for row in rows] == [
        "submitted",
        "accepted",
        "dispatched",
        "taken",
        "resolved",
        "closed",
    ]
    as_xml = client.get(f"{BASE}servicerequestupdates.xml", {"service_request_id": code})
    assert xml_to_data(as_xml.content) == as_text(rows)
    assert b"<service_requests_updates><request_update>" in as_xml.content


def test_departments_show_as_an_internal_referral(w, client, filing):
    response = client.post(f"{BASE}requests.json", filing)
    code = json.loads(response.content)[0]["service_request_id"]
    request = ResidentRequest.objects.get(public_id=code)
    services.request_accept(request=request, actor=w.users["leader"])
    services.request_escalate(request=request, actor=w.users["leader"], note="需上级协调")
    services.request_escalate(request=request, actor=w.users["community"], note="需上级协调")
    services.request_escalate(
        request=request, actor=w.users["street"], departments=[w.department], note="需上级协调"
    )
    request.refresh_from_db()
    assert request.level == HandlingLevel.DEPARTMENT
    data = record(client, code)
    assert data["status"] == "open"
    assert data["extended_status"] == "internal_referral"
    assert data["agency_responsible"] == w.department.name


def test_rejected_and_merged_are_closed_with_their_reason(w, client, filing):
    codes = []
    for phone in ("13912340001", "13912340002", "13912340003"):
        response = client.post(f"{BASE}requests.json", {**filing, "phone": phone})
        codes.append(json.loads(response.content)[0]["service_request_id"])
    first, dup, junk = (ResidentRequest.objects.get(public_id=c) for c in codes)
    services.request_reject(request=junk, actor=w.users["leader"], reason="不属于受理范围。")
    services.request_merge(request=dup, into=first, actor=w.users["leader"])
    rejected = record(client, junk.public_id)
    assert (rejected["status"], rejected["extended_status"]) == ("closed", "no_further_action")
    assert rejected["status_notes"] == "不属于受理范围。"
    merged = record(client, dup.public_id)
    assert (merged["status"], merged["extended_status"]) == ("closed", "duplicate")
    assert first.public_id in merged["status_notes"]
    assert first.code not in merged["status_notes"]


def test_updates_window_is_checked(w, client):
    bad = client.get(
        f"{BASE}servicerequestupdates.json",
        {"start_date": "2026-01-01", "end_date": "2026-12-01"},
    )
    assert bad.status_code == 400
