"""/api/v1/requests/ and /api/v1/categories/: scope per role, masking, entry, transitions."""

import pytest

from core.privacy import mask_name, mask_phone
from resident_requests import services
from resident_requests.models import (
    HandlingLevel,
    PhoneDisclosure,
    RequestType,
    ResidentRequest,
    Status,
)
from tests.resident_requests.factories import PHONE, at_level, submit

URL = "/api/v1/requests/"


def codes(response):
    assert response.status_code == 200, response.content
    return {row["code"] for row in response.json()["results"]}


@pytest.fixture
def spread(w):
    """One request in each grid (A, B of community 1; C of community 2), one with departments."""
    a = submit(w, building_index=0)
    b = submit(w, building_index=1, submitter_phone="13912345679")
    c = submit(w, building_index=2, submitter_phone="13912345670")
    escalated = at_level(w, HandlingLevel.DEPARTMENT, building_index=0)
    return {"a": a, "b": b, "c": c, "escalated": escalated}


def test_each_role_sees_only_its_scope(w, spread, client_for):
    a, b, c, esc = (spread[k].code for k in ("a", "b", "c", "escalated"))
    assert codes(client_for(w.users["leader"]).get(URL)) == {a, esc}
    assert codes(client_for(w.users["leader_b"]).get(URL)) == {b}
    assert codes(client_for(w.users["community"]).get(URL)) == {a, b, esc}
    assert codes(client_for(w.users["community2"]).get(URL)) == {c}
    assert codes(client_for(w.users["street"]).get(URL)) == {a, b, c, esc}
    assert codes(client_for(w.users["org"]).get(URL)) == {a, b, c, esc}
    # Department staff: only what was escalated to their department.
    assert codes(client_for(w.users["dept"]).get(URL)) == {esc}
    assert codes(client_for(w.users["dept2"]).get(URL)) == {esc}


def test_out_of_scope_detail_and_actions_are_not_found(w, spread, client_for):
    client = client_for(w.users["leader"])
    c = spread["c"].code
    assert client.get(f"{URL}{c}/").status_code == 404
    assert client.post(f"{URL}{c}/accept/", {}).status_code == 404
    assert ResidentRequest.objects.get(code=c).status == Status.SUBMITTED


def test_list_masks_the_resident_and_detail_shows_them_recording_it(w, spread, client_for):
    client = client_for(w.users["leader"])
    row = client.get(URL).json()["results"][0]
    assert row["submitter_phone"] == mask_phone(PHONE)
    assert row["submitter_name"] == mask_name("李阿姨")
    assert PHONE not in str(client.get(URL).content)

    detail = client.get(f"{URL}{row['code']}/")
    assert detail.status_code == 200
    assert detail.json()["submitter_phone"] == PHONE
    assert PhoneDisclosure.objects.filter(
        user=w.users["leader"], request__code=row["code"]
    ).exists()


def test_request_type_and_public_choice_are_shown_to_staff(w, client_for):
    asked = submit(w, request_type=RequestType.INQUIRY, public_allowed=True)
    plain = submit(w, submitter_phone="13700002222")
    client = client_for(w.users["leader"])
    rows = {row["code"]: row for row in client.get(URL).json()["results"]}
    assert (rows[asked.code]["request_type"], rows[asked.code]["public_allowed"]) == (
        "inquiry",
        True,
    )
    assert (rows[plain.code]["request_type"], rows[plain.code]["public_allowed"]) == (
        "help",
        False,
    )
    detail = client.get(f"{URL}{asked.code}/").json()
    assert detail["request_type_display"] == str(RequestType.INQUIRY.label)
    assert detail["public_allowed"] is True


def test_detail_lowercase_code_and_timeline(w, spread, client_for):
    response = client_for(w.users["leader"]).get(f"{URL}{spread['a'].code.lower()}/")
    assert response.status_code == 200
    assert [e["kind"] for e in response.json()["events"]] == ["submitted"]


def test_filters(w, spread, client_for):
    client = client_for(w.users["street"])
    assert codes(client.get(URL, {"status": "accepted"})) == {spread["escalated"].code}
    assert codes(client.get(URL, {"grid": w.grids[2].pk})) == {spread["c"].code}
    assert codes(client.get(URL, {"department": w.department.pk})) == {spread["escalated"].code}
    assert client.get(URL, {"status": "lost"}).status_code == 400
    assert client.get(URL, {"grid": "abc"}).status_code == 400
    assert client.get(URL, {"created_after": "yesterday"}).status_code == 400


def test_cursor_pagination_walks_every_request_once(w, client_for):
    made = {submit(w, submitter_phone=f"1391234{i:04d}").code for i in range(5)}
    client = client_for(w.users["leader"])
    seen, url = [], URL + "?page_size=2"
    while url:
        page = client.get(url).json()
        seen += [row["code"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == made


def test_list_query_count_does_not_grow_with_rows(w, client_for, django_assert_max_num_queries):
    for i in range(12):
        submit(w, submitter_phone=f"1391234{i:04d}")
    client = client_for(w.users["leader"])
    with django_assert_max_num_queries(6):
        assert client.get(URL).status_code == 200


def test_staff_enter_a_request_through_the_service(w, client_for):
    client = client_for(w.users["leader"])
    response = client.post(
        URL,
        {
            "channel": "phone",
            "submitter_name": "赵大爷",
            "submitter_phone": "13700001111",
            "building": w.buildings[0].pk,
            "category": w.category.pk,
            "request_type": "complaint",
            "description": "电话反映：楼道灯不亮。",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    request = ResidentRequest.objects.get(code=body["code"])
    assert request.channel == "phone"
    assert request.request_type == "complaint" and body["request_type"] == "complaint"
    assert body["request_type_display"] == str(RequestType.COMPLAINT.label)
    assert body["public_allowed"] is False  # never set by staff: it is the resident's choice
    assert request.created_by == w.users["leader"]
    assert request.events.get().kind == "submitted"


def test_staff_entry_checks_input_and_scope(w, client_for):
    client = client_for(w.users["leader"])
    base = {
        "submitter_name": "赵大爷",
        "submitter_phone": "13700001111",
        "building": w.buildings[0].pk,
        "category": w.category.pk,
        "description": "电话反映：楼道灯不亮。",
    }
    bad_phone = client.post(URL, {**base, "submitter_phone": "12345"})
    assert bad_phone.status_code == 400
    assert bad_phone.json()["detail"]
    # Grid C's building is not the grid leader's: it cannot be chosen.
    other = client.post(URL, {**base, "building": w.buildings[2].pk})
    assert other.status_code == 400
    assert "building" in other.json()["errors"]
    assert client.post(URL, {**base, "channel": "web"}).status_code == 400
    assert "request_type" in client.post(URL, {**base, "request_type": "praise"}).json()["errors"]
    assert not ResidentRequest.objects.exists()
    assert client_for(w.users["dept"]).post(URL, base).status_code == 400


def test_workflow_through_the_api(w, client_for):
    request = submit(w)
    leader = client_for(w.users["leader"])
    url = f"{URL}{request.code}/"
    assert leader.post(url + "accept/", {"note": "收到"}).json()["status"] == "accepted"
    member = w.members[0]
    dispatched = leader.post(url + "dispatch/", {"assignee": member.pk})
    assert dispatched.status_code == 200, dispatched.content
    assert dispatched.json()["status"] == "dispatched"

    as_member = client_for(member.user)
    assert as_member.post(url + "take/", {}).json()["status"] == "taken"
    resolved = as_member.post(url + "resolve/", {"note": "已更换灯泡。"})
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolution_note"] == "已更换灯泡。"
    kinds = [e["kind"] for e in resolved.json()["events"]]
    assert kinds == ["submitted", "accepted", "dispatched", "taken", "resolved"]


def test_illegal_transition_is_a_conflict_with_a_message(w, client_for):
    request = submit(w)
    response = client_for(w.users["leader"]).post(f"{URL}{request.code}/take/", {})
    assert response.status_code == 403  # not dispatched to them
    response = client_for(w.users["leader"]).post(f"{URL}{request.code}/resolve/", {"note": "done"})
    assert response.status_code == 409
    assert request.code in response.json()["detail"]


def test_level_rules_come_from_the_services(w, client_for):
    request = at_level(w, HandlingLevel.COMMUNITY)
    response = client_for(w.users["leader"]).post(f"{URL}{request.code}/resolve/", {"note": "done"})
    assert response.status_code == 403
    assert response.json()["detail"]


def test_reject_requires_a_reason(w, client_for):
    request = submit(w)
    client = client_for(w.users["leader"])
    assert client.post(f"{URL}{request.code}/reject/", {}).status_code == 400
    response = client.post(f"{URL}{request.code}/reject/", {"reason": "不属于受理范围。"})
    assert response.json()["status"] == "rejected"


def test_merge_into_a_visible_request(w, client_for):
    first = submit(w)
    dup = submit(w, submitter_phone="13912340000")
    client = client_for(w.users["leader"])
    assert client.post(f"{URL}{dup.code}/merge/", {"into": "JK-NOPE"}).status_code == 400
    response = client.post(f"{URL}{dup.code}/merge/", {"into": first.code.lower()})
    assert response.status_code == 200, response.content
    assert response.json()["merged_into"] == first.code


def test_departments_report_in_and_done(w, client_for):
    request = at_level(w, HandlingLevel.DEPARTMENT)
    url = f"{URL}{request.code}/"
    dept = client_for(w.users["dept"])
    assert dept.get(url).status_code == 200
    ack = dept.post(url + "acknowledge/", {"department": w.department.pk})
    assert ack.status_code == 200, ack.content
    # Not their department: refused by the service.
    other = dept.post(url + "department-done/", {"department": w.other_department.pk, "note": "x"})
    assert other.status_code == 403
    done = dept.post(url + "department-done/", {"department": w.department.pk, "note": "已清理。"})
    assert done.status_code == 200
    dept2 = client_for(w.users["dept2"])
    final = dept2.post(
        url + "department-done/", {"department": w.other_department.pk, "note": "好"}
    )
    assert final.json()["status"] == "resolved"


def test_escalate_calls_in_departments(w, client_for):
    request = at_level(w, HandlingLevel.STREET)
    response = client_for(w.users["street"]).post(
        f"{URL}{request.code}/escalate/",
        {"note": "需部门协同", "departments": [w.other_department.pk]},
    )
    assert response.status_code == 200, response.content
    assert response.json()["level"] == "department"
    assert [d["department"] for d in response.json()["department_links"]] == [w.other_department.pk]


def test_categories_are_readable_by_staff(w, client_for):
    response = client_for(w.users["dept"]).get("/api/v1/categories/", {"top_level": "false"})
    assert response.status_code == 200
    assert w.category.code in {row["code"] for row in response.json()["results"]}


def test_party_member_sees_only_the_orders_dispatched_to_them(w, client_for):
    request = submit(w)
    member = client_for(w.members[0].user)
    assert codes(member.get(URL)) == set()
    services.request_accept(request=request, actor=w.users["leader"])
    services.request_dispatch(request=request, actor=w.users["leader"], assignee=w.members[0])
    assert codes(member.get(URL)) == {request.code}
    assert codes(client_for(w.members[1].user).get(URL)) == set()
    # Seeing an order does not make the member staff: no accept, reject or dispatch.
    other = submit(w, submitter_phone="13912340009")
    assert member.post(f"{URL}{other.code}/accept/", {}).status_code == 404


def test_anonymous_callers_are_throttled(w, monkeypatch):
    from rest_framework.test import APIClient
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "rate", "3/minute", raising=False)
    client = APIClient()
    answers = [client.get("/api/v1/stations/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert "detail" in client.get("/api/v1/stations/").json()
